import { z } from 'zod';
import { Num } from './primitives';

export const RawWalletSchema = z.object({
  name: z.string(),
  balance: Num,
  deposit: z.string().optional(),
  deposit_address: z.string().optional(),
  withdrawal_fee: Num.optional(),
});

export const WalletsResponseSchema = z.object({ wallets: z.array(RawWalletSchema) });

import type { z } from 'zod';
import type { RawWalletSchema } from '../schema/wallets';

export interface Wallet {
  /** "CLORE-Blockchain", "bitcoin" or "USD-Blockchain". */
  currency: string;
  balance: number;
  depositAddress?: string;
  withdrawalFee?: number;
}

export function normaliseWallet(raw: z.output<typeof RawWalletSchema>): Wallet {
  const wallet: Wallet = { currency: raw.name, balance: raw.balance };
  const deposit = raw.deposit ?? raw.deposit_address;
  if (deposit !== undefined) {
    wallet.depositAddress = deposit;
  }
  if (raw.withdrawal_fee !== undefined) {
    wallet.withdrawalFee = raw.withdrawal_fee;
  }
  return wallet;
}

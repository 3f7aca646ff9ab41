import { z } from 'zod';
import { type Currency, roundAmount, USD_RATES } from './currencies';
import type { OrderType } from './orders/order';

/**
 * How the simulated provider behaves where the real one was observed to (clore-api.md Part A 11,
 * 14, 18). Realistic by default; tests that need the old behaviour say so.
 */
export interface ProviderSettings {
  /**
   * The creation fee of every order, in USD, charged in the order's currency at the simulator's
   * rates on top of `spend` (default 0.10 for both order types, Part A 11). A number applies to
   * both types.
   */
  creationFeeUsd?: number | { onDemand: number; spot: number };
  /** The provider's clock runs this many ms ahead (+) or behind (-) real time (default 0). */
  clockOffsetMs?: number;
  /**
   * The chance that a host reprices its server between the marketplace listing and a create
   * (default 0); the new price is the old one times `repriceFactor` (default 1.2) and stays listed.
   */
  repriceChance?: number;
  repriceFactor?: number;
  /** Refuse a create whose `required_price` is below the booked price (default true). */
  enforceRequiredPrice?: boolean;
}

export interface ResolvedProviderSettings {
  creationFeeUsd: { onDemand: number; spot: number };
  clockOffsetMs: number;
  repriceChance: number;
  repriceFactor: number;
  enforceRequiredPrice: boolean;
}

/** Part A 11: 0.10 USD seen on a USD-Blockchain order. */
export const DEFAULT_CREATION_FEE_USD = 0.1;

export const ProviderSettingsSchema = z.strictObject({
  creationFeeUsd: z
    .union([z.number().min(0), z.strictObject({ onDemand: z.number().min(0), spot: z.number().min(0) })])
    .optional(),
  clockOffsetMs: z.number().finite().optional(),
  repriceChance: z.number().min(0).max(1).optional(),
  repriceFactor: z.number().positive().optional(),
  enforceRequiredPrice: z.boolean().optional(),
});

export function resolveProviderSettings(settings: ProviderSettings = {}): ResolvedProviderSettings {
  const parsed = ProviderSettingsSchema.safeParse(settings);
  if (!parsed.success) {
    throw new Error(`invalid provider settings: ${parsed.error.message}`);
  }
  const fee = parsed.data.creationFeeUsd ?? DEFAULT_CREATION_FEE_USD;
  return {
    creationFeeUsd: typeof fee === 'number' ? { onDemand: fee, spot: fee } : { ...fee },
    clockOffsetMs: parsed.data.clockOffsetMs ?? 0,
    repriceChance: parsed.data.repriceChance ?? 0,
    repriceFactor: parsed.data.repriceFactor ?? 1.2,
    enforceRequiredPrice: parsed.data.enforceRequiredPrice ?? true,
  };
}

/** The creation fee of one order, in its currency. */
export function creationFeeOf(
  settings: Pick<ResolvedProviderSettings, 'creationFeeUsd'>,
  currency: Currency,
  type: OrderType,
): number {
  const usd = type === 'spot' ? settings.creationFeeUsd.spot : settings.creationFeeUsd.onDemand;
  return roundAmount(usd / USD_RATES[currency], currency);
}

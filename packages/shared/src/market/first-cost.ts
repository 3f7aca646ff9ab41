/**
 * The creation fee per order as a fraction of one day's price, used only when the provider's own
 * fee is not known (no fee book): clore-api.md §11 quotes per-currency creation fees of this order
 * (the simulator charged 0.5 %). Taken at 1 %, on the safe side.
 */
export const CREATION_FEE_DAY_FRACTION = 0.01;

/** What renting a server costs before the first budget check can stop it. */
export interface FirstCost {
  /** The creation fee (USD): the provider's, or the estimate. */
  feeUsd: number;
  /** Whether `feeUsd` is the provider's figure (false: CREATION_FEE_DAY_FRACTION of a day's price). */
  feeKnown: boolean;
  /** Billing until the first check (USD). */
  firstCheckUsd: number;
  totalUsd: number;
}

/** The least an order on this server costs: its creation fee plus billing until the first check. */
export function firstCost(usdPerHour: number, firstCheckSeconds = 60, creationFeeUsd?: number): FirstCost {
  const feeKnown = creationFeeUsd !== undefined && Number.isFinite(creationFeeUsd) && creationFeeUsd >= 0;
  const feeUsd = feeKnown ? (creationFeeUsd as number) : usdPerHour * 24 * CREATION_FEE_DAY_FRACTION;
  const firstCheckUsd = (usdPerHour * firstCheckSeconds) / 3_600;
  return { feeUsd, feeKnown, firstCheckUsd, totalUsd: feeUsd + firstCheckUsd };
}

/** `firstCost(...).totalUsd`. */
export function firstCostUsd(usdPerHour: number, firstCheckSeconds = 60, creationFeeUsd?: number): number {
  return firstCost(usdPerHour, firstCheckSeconds, creationFeeUsd).totalUsd;
}

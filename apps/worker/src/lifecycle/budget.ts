import { type Order, toUsd, type UsdRates } from '@clore-batch/clore';
import { perDayToUsdPerHour } from '@clore-batch/shared';

export interface BudgetInput {
  budgetUsd: number;
  /** What earlier attempts of the job cost (their final provider figures). */
  spentBeforeUsd: number;
  /** What the current order has cost so far (provider figure, converted). */
  spentNowUsd: number;
  /** The current order's hourly price in USD. */
  usdPerHour: number;
  /** Time until the next budget check can happen (the order book's poll interval). */
  secondsToNextCheck: number;
  /** Safety factor on `secondsToNextCheck` (late polls, billing granularity). Default 3. */
  margin?: number;
}

export interface BudgetVerdict {
  spentUsd: number;
  /** What will have been spent at the next check, with the margin. */
  projectedUsd: number;
  /** Stop now: letting the order run until the next check could pass the budget. */
  stop: boolean;
}

/**
 * The budget rule: stop when what was spent, plus what accrues until the next check (with a
 * margin), would pass `budgetUsd`. Pure.
 */
export function checkBudget(input: BudgetInput): BudgetVerdict {
  const margin = input.margin ?? 3;
  const spentUsd = input.spentBeforeUsd + input.spentNowUsd;
  const accrue = (input.usdPerHour * input.secondsToNextCheck * margin) / 3_600;
  const projectedUsd = spentUsd + accrue;
  return { spentUsd, projectedUsd, stop: projectedUsd >= input.budgetUsd };
}

/** The order's booked price (`price`, per day in its currency) in USD per hour; undefined without a rate. */
export function bookedUsdPerHour(order: Order, rates: UsdRates): number | undefined {
  const rate = rates[order.currency];
  return rate === undefined ? undefined : perDayToUsdPerHour(order.pricePerDay, rate);
}

export interface CostClock {
  /** The hourly price selection used (USD). */
  usdPerHour: number;
  /** When the attempt began ordering (ms, this worker's clock): the order cannot have started before. */
  startedAtMs: number;
  nowMs: number;
}

/**
 * What an order has cost by `nowMs`, in USD, from a my_orders answer (clore-api.md Part A 11):
 * `max(provider spend, price × elapsed since the attempt began) + creation fee`. The spend excludes
 * the fee; where it lags, the price × elapsed term keeps the figure honest; the price is the larger
 * of the booked one and the one selection used. Undefined when the currency's rate is unknown (the
 * spend cannot be verified).
 */
export function verifiedCostUsd(order: Order, rates: UsdRates, clock: CostClock): number | undefined {
  const booked = bookedUsdPerHour(order, rates);
  const fee = toUsd(order.creationFee, order.currency, rates);
  if (booked === undefined || fee === undefined) {
    return undefined;
  }
  const spend = order.spend === undefined ? 0 : (toUsd(order.spend, order.currency, rates) ?? 0);
  const hours = Math.max(0, clock.nowMs - clock.startedAtMs) / 3_600_000;
  const elapsed = Math.max(clock.usdPerHour, booked) * hours;
  return Math.max(spend, elapsed, 0) + Math.max(fee, 0);
}

/**
 * The final cost of an ended order: the provider's own bill (`spend + creation_fee`) when it gives
 * a spend (billing has stopped), else the estimate from price × elapsed plus the fee; never less
 * than `previousUsd` when the provider says nothing.
 */
export function finalCostUsd(
  order: Order,
  rates: UsdRates,
  fallback: CostClock & { previousUsd: number },
): number {
  if (order.spend !== undefined) {
    const billed = toUsd(order.spend + order.creationFee, order.currency, rates);
    if (billed !== undefined && Number.isFinite(billed)) {
      return Math.max(billed, 0);
    }
  }
  const estimate = verifiedCostUsd(order, rates, fallback);
  return Math.max(fallback.previousUsd, estimate ?? 0);
}

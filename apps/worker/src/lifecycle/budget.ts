import { type Order, orderSpendUsd, type UsdRates } from '@clore-batch/clore';

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

/**
 * The order's cost in USD from the provider's own `spend` (plus creation fee). When the provider
 * gives no spend or the currency's rate is unknown, an estimate from the hourly price and the
 * order's age (never less than what was known before).
 */
export function orderCostUsd(
  order: Order,
  rates: UsdRates,
  fallback: { usdPerHour: number; startedAtMs: number; nowMs: number; previousUsd: number },
): number {
  const billed = orderSpendUsd(order, rates);
  if (billed !== undefined && Number.isFinite(billed)) {
    return Math.max(billed, 0);
  }
  const hours = Math.max(0, fallback.nowMs - fallback.startedAtMs) / 3_600_000;
  return Math.max(fallback.previousUsd, fallback.usdPerHour * hours);
}

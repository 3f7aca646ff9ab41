/**
 * The unit of every price rate the API sends (`price.on_demand`, `price.spot`, `price.usd`, an
 * order's `price`, spot bids). The API's docs say per day, the seeds say per hour for `price.usd`;
 * clore-api.md Part A §5 makes it one setting, default per day. This file is the only place that
 * applies it.
 */
export type PriceUnit = 'per_day' | 'per_hour';

export const DEFAULT_PRICE_UNIT: PriceUnit = 'per_day';

function hoursPerUnit(unit: PriceUnit): number {
  return unit === 'per_day' ? 24 : 1;
}

/** A rate in the API's unit, per hour. */
export function toPerHour(rate: number, unit: PriceUnit): number {
  return rate / hoursPerUnit(unit);
}

/** A rate in the API's unit, per day. */
export function toPerDay(rate: number, unit: PriceUnit): number {
  return (rate / hoursPerUnit(unit)) * 24;
}

/** A per-day rate, in the API's unit (what to send as `spotprice` / `desired_price`). */
export function fromPerDay(perDay: number, unit: PriceUnit): number {
  return (perDay / 24) * hoursPerUnit(unit);
}

/**
 * A rate the API sent (in its unit, in `currency`), as USD per hour. `usdPerCurrencyUnit` is the
 * exchange rate (1 for amounts already in USD). This is the one function that turns API prices
 * into the figure jobs are limited by (`maxPricePerHourUsd`).
 */
export function toUsdPerHour(rate: number, unit: PriceUnit, usdPerCurrencyUnit = 1): number {
  return toPerHour(rate, unit) * usdPerCurrencyUnit;
}

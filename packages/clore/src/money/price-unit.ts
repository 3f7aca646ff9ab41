/**
 * The unit of the marketplace's `price.usd` figures: the API's docs say per day, the seeds call them
 * per hour, so clore-api.md Part A §5 makes it one setting (default per day). Everything else the
 * API prices (`price.on_demand`, `price.spot`, an order's `price`, spot bids, `spotprice`,
 * `desired_price`) is per day in its currency, whatever the setting. `toUsdPerHour` is the only
 * place the setting is applied.
 */
export type PriceUnit = 'per_day' | 'per_hour';

export const DEFAULT_PRICE_UNIT: PriceUnit = 'per_day';

/** A `price.usd` figure as USD per hour. */
export function toUsdPerHour(usdQuote: number, unit: PriceUnit): number {
  return unit === 'per_day' ? usdQuote / 24 : usdQuote;
}

import type { Server } from '../fleet/provider-model';

/**
 * What renting a marketplace server costs in USD per hour: the one conversion every reader of the
 * fleet's marketplace snapshot uses (the worker's selection, the API's offers and plans). Prices in
 * a currency are per day (clore-api.md Part A 5); `usdRates` are the snapshot's (USD per unit).
 */

/** USD for one unit of each currency, e.g. `{ 'CLORE-Blockchain': 0.03, bitcoin: 60000 }`. */
export type UsdRates = Readonly<Record<string, number>>;

/** A per-day amount in a currency as USD per hour, at `usdPerUnit` dollars per unit of it. */
export function perDayToUsdPerHour(amountPerDay: number, usdPerUnit: number): number {
  return (amountPerDay / 24) * usdPerUnit;
}

/**
 * The hourly USD price of renting `server` for an order of this type paid in this currency: the
 * on-demand price, or for spot the minimum bid. Undefined when the server does not quote it.
 */
export function serverUsdPerHour(
  server: Server,
  options: { currency: string; orderType: 'on-demand' | 'spot'; rates?: UsdRates },
): number | undefined {
  if (options.orderType === 'on-demand') {
    return server.usdPerHour.onDemand[options.currency];
  }
  const bidPerDay = server.pricePerDay.spot[options.currency];
  const rate = options.rates?.[options.currency];
  if (bidPerDay !== undefined && rate !== undefined) {
    return perDayToUsdPerHour(bidPerDay, rate);
  }
  return server.usdPerHour.spot;
}

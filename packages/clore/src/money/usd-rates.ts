import { median, type UsdRates } from '@clore-batch/shared';
import { type PriceUnit, toUsdPerHour } from '../money/price-unit';
import type { RawServer } from '../schema/marketplace';

/** USD for one unit of each currency (defined with the price conversion in @clore-batch/shared). */
export type { UsdRates };

/** Which `price.usd` key holds the USD equivalent of which currency's on-demand price. */
export const USD_KEY_BY_CURRENCY: Readonly<Record<string, string>> = {
  'CLORE-Blockchain': 'on_demand_clore',
  bitcoin: 'on_demand_btc',
  'USD-Blockchain': 'on_demand_usd',
};

/**
 * Derive currency→USD rates from the marketplace: for each server that quotes both
 * `price.on_demand[cur]` and its USD equivalent, the ratio; the median over servers wins (one odd
 * host does not move it). USD-Blockchain is 1 unless the marketplace says otherwise. The native
 * price is per day; the USD quote is brought to per day with the price-unit setting first.
 */
export function deriveUsdRates(servers: readonly RawServer[], unit: PriceUnit): UsdRates {
  const samples: Record<string, number[]> = {};
  for (const server of servers) {
    for (const [currency, usdKey] of Object.entries(USD_KEY_BY_CURRENCY)) {
      const native = server.price.on_demand?.[currency];
      const usd = server.price.usd?.[usdKey];
      if (native !== undefined && usd !== undefined && native > 0 && usd > 0) {
        const list = samples[currency] ?? [];
        list.push((toUsdPerHour(usd, unit) * 24) / native);
        samples[currency] = list;
      }
    }
  }
  const rates: Record<string, number> = { 'USD-Blockchain': 1 };
  for (const [currency, values] of Object.entries(samples)) {
    const rate = median(values);
    if (rate !== undefined) {
      rates[currency] = rate;
    }
  }
  return rates;
}

/** An amount in `currency` as USD, or undefined when the rate is not known. */
export function toUsd(amount: number, currency: string, rates: UsdRates): number | undefined {
  const rate = rates[currency];
  return rate === undefined ? undefined : amount * rate;
}

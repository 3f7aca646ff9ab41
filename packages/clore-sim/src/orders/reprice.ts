import type { Currency } from '../currencies';
import type { SimServer } from '../market/server';

/**
 * A host changes its prices (every currency, on-demand and the spot minimum) by `factor`; the
 * marketplace lists the new prices from now on. Used between a listing and a create, so a renter
 * that did not send `required_price` gets booked at a price it never saw (Part A 14).
 */
export function repriceServer(server: SimServer, factor: number): void {
  const scale = (prices: Partial<Record<Currency, number>>) => {
    for (const [currency, price] of Object.entries(prices) as [Currency, number][]) {
      prices[currency] = Number((price * factor).toPrecision(12));
    }
  };
  scale(server.onDemand);
  scale(server.spotMin);
  server.usdPerDay = Number((server.usdPerDay * factor).toPrecision(12));
}

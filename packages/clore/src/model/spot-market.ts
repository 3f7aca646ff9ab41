import type { z } from 'zod';
import type { UsdRates } from '../money/usd-rates';
import type { SpotMarketplaceResponseSchema } from '../schema/spot-marketplace';

export interface SpotOffer {
  /** The spot order id (what set_spot_price takes). */
  orderId: number;
  /** Per-day bid in `currency`. */
  bidPerDay: number;
  currency?: string;
  /** Currently the running (winning) offer. */
  active: boolean;
  /** Our own offer. */
  mine: boolean;
}

export interface SpotMarket {
  serverId: number;
  /** False for an unknown server. */
  exists: boolean;
  offers: SpotOffer[];
  /** Minimum per-day bid per currency. */
  minPricePerDay: Record<string, number>;
  mrlHours?: number;
  online?: boolean;
  usdRates: UsdRates;
}

/** The one place a spot_marketplace answer becomes a `SpotMarket` (bids are per day, as sent). */
export function normaliseSpotMarket(
  serverId: number,
  parsed: z.output<typeof SpotMarketplaceResponseSchema>,
): SpotMarket {
  const market = parsed.market;
  const result: SpotMarket = {
    serverId,
    exists: parsed.exists ?? market !== undefined,
    offers: (market?.offers ?? []).map((offer) => {
      const out: SpotOffer = {
        orderId: offer.offer_id,
        bidPerDay: offer.bid,
        active: offer.active ?? false,
        mine: offer.my ?? false,
      };
      if (offer.currency !== undefined) {
        out.currency = offer.currency;
      }
      return out;
    }),
    minPricePerDay: { ...(market?.server?.min_pricing ?? {}) },
    usdRates: market?.currency_rates_in_usd ?? {},
  };
  if (market?.server?.mrl !== undefined) {
    result.mrlHours = market.server.mrl;
  }
  if (market?.server?.online !== undefined) {
    result.online = market.server.online;
  }
  return result;
}

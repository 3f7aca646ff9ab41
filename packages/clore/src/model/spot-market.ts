import type { UsdRates } from '../money/usd-rates';

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

/** The Clore API endpoints this client calls (paths are `/v1/<name>`). */
export const ENDPOINTS = [
  'wallets',
  'marketplace',
  'my_orders',
  'create_order',
  'cancel_order',
  'cancel_orders',
  'spot_marketplace',
  'set_spot_price',
  'renter_fees',
] as const;

export type Endpoint = (typeof ENDPOINTS)[number];

/**
 * Rate-limiter lanes, most urgent first. Calls that stop spending money (cancel) never wait
 * behind calls that start it (create), which never wait behind order polling, which never waits
 * behind marketplace and wallet reads.
 */
export const LANES = ['cancel', 'create', 'orders', 'reads'] as const;

export type Lane = (typeof LANES)[number];

/** Lane priority: 0 is served first. */
export function lanePriority(lane: Lane): number {
  return LANES.indexOf(lane);
}

/** The lane each endpoint uses unless a call overrides it (docs/decisions/0031). */
export const DEFAULT_LANE: Readonly<Record<Endpoint, Lane>> = {
  cancel_order: 'cancel',
  cancel_orders: 'cancel',
  create_order: 'create',
  my_orders: 'orders',
  set_spot_price: 'orders',
  marketplace: 'reads',
  wallets: 'reads',
  spot_marketplace: 'reads',
  renter_fees: 'reads',
};

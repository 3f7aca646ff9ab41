import { toUsd, type UsdRates } from '../money/usd-rates';
import type { RawOrder } from '../schema/orders';
import { type SshEndpoint, sshEndpointOf } from './ssh-endpoint';

/** An order (a rental), in the one internal model (both response shapes normalise to this). */
export interface Order {
  id: number;
  serverId: number;
  currency: string;
  /** Per-day price in `currency` (for spot orders: the bid). */
  pricePerDay: number;
  /** One-off fee in `currency`; 0 when the API did not say. */
  creationFee: number;
  /** What the provider has billed so far, in `currency`; undefined when the API did not say. */
  spend?: number;
  /** Creation time, unix seconds; undefined when the API did not say (the simulator's seeds shape). */
  createdAt?: number;
  expired: boolean;
  /** Still running or coming up (not expired). */
  active: boolean;
  online: boolean;
  containerUp: boolean;
  /** online && container running (or the seeds' status "running"). SSH may still need a moment. */
  ready: boolean;
  ssh?: SshEndpoint;
  spot: boolean;
  image?: string;
  mrlHours?: number;
  /** The seeds' `status` string, when the API sent one. */
  providerStatus?: string;
}

const ENDED_STATUSES = new Set(['expired', 'cancelled', 'canceled', 'completed', 'terminated', 'outbid']);

/**
 * The one place a raw order becomes an `Order`. Returns the missing fields instead when a field
 * the product needs is absent (the caller names them in a CLORE_BAD_RESPONSE error).
 */
export function normaliseOrder(raw: RawOrder): Order | { missing: string[] } {
  const id = raw.id ?? raw.order_id;
  const serverId = raw.si ?? raw.renting_server;
  const createdAt = raw.ct ?? raw.created;
  const missing: string[] = [];
  if (id === undefined) {
    missing.push('id (or order_id)');
  }
  if (serverId === undefined) {
    missing.push('si (or renting_server)');
  }
  if (raw.currency === undefined) {
    missing.push('currency');
  }
  if (raw.price === undefined) {
    missing.push('price');
  }
  if (id === undefined || serverId === undefined || raw.currency === undefined || raw.price === undefined) {
    return { missing };
  }
  const status = raw.status?.toLowerCase();
  const seedsRunning = status === 'running';
  const expired = raw.expired ?? (status !== undefined && ENDED_STATUSES.has(status));
  const online = raw.online ?? seedsRunning;
  const containerUp = raw.mon_container === undefined ? seedsRunning : raw.mon_container >= 1;
  const order: Order = {
    id,
    serverId,
    currency: raw.currency,
    pricePerDay: raw.price,
    creationFee: raw.creation_fee ?? 0,
    expired,
    active: !expired,
    online,
    containerUp,
    ready:
      !expired && (status === undefined ? online && containerUp : seedsRunning || (online && containerUp)),
    spot: raw.spot ?? raw.type === 'spot',
  };
  const ssh = sshEndpointOf(raw);
  if (ssh !== undefined) {
    order.ssh = ssh;
  }
  if (createdAt !== undefined) {
    order.createdAt = createdAt;
  }
  if (raw.spend !== undefined) {
    order.spend = raw.spend;
  }
  if (raw.image !== undefined) {
    order.image = raw.image;
  }
  if (raw.mrl !== undefined) {
    order.mrlHours = raw.mrl;
  }
  if (raw.status !== undefined) {
    order.providerStatus = raw.status;
  }
  return order;
}

/**
 * What the order has cost so far, in USD: the provider's `spend` (plus the creation fee unless
 * told otherwise: counting it twice over-estimates, which is the safe side for a budget).
 * Undefined when the API gave no spend or the currency's rate is unknown.
 */
export function orderSpendUsd(
  order: Order,
  rates: UsdRates,
  options: { includeCreationFee?: boolean } = {},
): number | undefined {
  if (order.spend === undefined) {
    return undefined;
  }
  const amount = order.spend + (options.includeCreationFee === false ? 0 : order.creationFee);
  return toUsd(amount, order.currency, rates);
}

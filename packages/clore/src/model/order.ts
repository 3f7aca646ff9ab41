import { CREATION_FEE_DAY_FRACTION, type Order } from '@clore-batch/shared';
import { toUsd, type UsdRates } from '../money/usd-rates';
import type { RawOrder } from '../schema/orders';
import { sshEndpointOf } from './ssh-endpoint';

/**
 * An order (a rental), in the one internal model (both response shapes normalise to this). Its
 * shape is `OrderSchema` in @clore-batch/shared, which the fleet's stored snapshots are parsed with.
 */
export type { Order };

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
  const feeSent = raw.creation_fee !== undefined && raw.creation_fee >= 0;
  const deployed = seedsRunning || (raw.mon_container !== undefined && raw.mon_container >= 2);
  const order: Order = {
    id,
    serverId,
    currency: raw.currency,
    pricePerDay: raw.price,
    // Every order costs its creation fee (Part A 11): one not sent (or negative) is estimated,
    // never taken as 0.
    creationFee: feeSent ? (raw.creation_fee as number) : raw.price * CREATION_FEE_DAY_FRACTION,
    expired,
    active: !expired,
    online,
    containerUp,
    deployed,
    ready: !expired && (seedsRunning || (online && deployed)),
    spot: raw.spot ?? raw.type === 'spot',
  };
  if (!feeSent) {
    order.creationFeeEstimated = true;
  }
  const ssh = expired ? undefined : sshEndpointOf(raw);
  if (ssh !== undefined) {
    order.ssh = ssh;
  }
  if (raw.mon_container !== undefined) {
    order.monContainer = raw.mon_container;
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
  if (raw.order_end !== undefined) {
    order.orderEnd = raw.order_end;
  }
  if (raw.fee !== undefined) {
    order.fee = raw.fee;
  }
  if (raw.gpu_count !== undefined) {
    order.gpuCount = raw.gpu_count;
  }
  if (raw.total_gpus !== undefined) {
    order.totalGpus = raw.total_gpus;
  }
  if (raw.gpu_array !== undefined) {
    order.gpuArray = raw.gpu_array;
  }
  if (raw.owner !== undefined) {
    order.ownerId = raw.owner;
  }
  if (raw.rating !== undefined) {
    const rating: { avg?: number; cnt?: number } = {};
    if (raw.rating.avg !== undefined) {
      rating.avg = raw.rating.avg;
    }
    if (raw.rating.cnt !== undefined) {
      rating.cnt = raw.rating.cnt;
    }
    order.rating = rating;
  }
  if (raw.reliability !== undefined) {
    order.reliability = raw.reliability > 1 ? raw.reliability / 100 : raw.reliability;
  }
  if (raw.cuda_version !== undefined) {
    order.cudaVersion = String(raw.cuda_version);
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

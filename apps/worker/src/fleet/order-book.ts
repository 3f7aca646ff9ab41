import type { FleetKeys } from '@clore-batch/shared';
import type { Redis } from 'ioredis';
import type { ChannelHub } from './channel-hub';
import type { OrderBook, OrdersSnapshot } from './fleet-types';
import { waitOnChannel } from './wait-on-channel';

export interface OrderBookOptions {
  redis: Redis;
  hub: ChannelHub;
  keys: FleetKeys;
  /** next() re-reads the Redis key (never Clore) this often when no message arrives. */
  fallbackMs: number;
}

export async function readOrdersSnapshot(redis: Redis, keys: FleetKeys): Promise<OrdersSnapshot | undefined> {
  const raw = await redis.get(keys.ordersSnapshot);
  return raw === null ? undefined : (JSON.parse(raw) as OrdersSnapshot);
}

/**
 * The orders view every process reads: the leader's latest my_orders snapshot in Redis. Waiters
 * wake on the leader's pub/sub message; nobody but the leader's watcher calls Clore.
 */
export function createOrderBook(options: OrderBookOptions): OrderBook {
  const { redis, hub, keys } = options;
  const current = () => readOrdersSnapshot(redis, keys);
  return {
    current,
    next(afterVersion, signal) {
      return waitOnChannel({
        hub,
        channel: keys.ordersChanged,
        fallbackMs: options.fallbackMs,
        signal,
        check: async () => {
          const snapshot = await current();
          return snapshot !== undefined && snapshot.version > afterVersion ? snapshot : undefined;
        },
      });
    },
    async requestPoll() {
      await redis.publish(keys.pollRequests, '1');
    },
  };
}

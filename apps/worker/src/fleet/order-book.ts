import { type FleetKeys, readFleetRecord } from '@clore-batch/shared';
import type { Redis } from 'ioredis';
import type { ChannelHub } from './channel-hub';
import type { OrderBook, OrdersSnapshot, OrderWaitOptions } from './fleet-types';
import type { PollDemand } from './poll-demand';
import { waitOnChannel } from './wait-on-channel';

export interface OrderBookOptions {
  redis: Redis;
  hub: ChannelHub;
  keys: FleetKeys;
  /** next() re-reads the Redis key (never Clore) this often when no message arrives. */
  fallbackMs: number;
  /** Where next() registers its demand for fresh snapshots (docs/decisions/0055). */
  demand: PollDemand;
}

function waitOptions(options: AbortSignal | OrderWaitOptions | undefined): OrderWaitOptions {
  return options instanceof AbortSignal ? { signal: options } : (options ?? {});
}

/**
 * The stored snapshot; undefined only when there is none yet. An unreadable one throws
 * FLEET_RECORD_MALFORMED (fail closed: the watcher, the spend watch and the cancel settling stop on
 * it; it is never taken for "no orders").
 */
export async function readOrdersSnapshot(redis: Redis, keys: FleetKeys): Promise<OrdersSnapshot | undefined> {
  return readFleetRecord('ordersSnapshot', await redis.get(keys.ordersSnapshot));
}

/**
 * The orders view every process reads: the leader's latest my_orders snapshot in Redis. Waiters
 * wake on the leader's pub/sub message; nobody but the leader's watcher calls Clore. A waiter that
 * has to wait registers its demand (urgent or background), which sets the leader's cadence.
 */
export function createOrderBook(options: OrderBookOptions): OrderBook {
  const { redis, hub, keys } = options;
  const current = () => readOrdersSnapshot(redis, keys);
  return {
    current,
    async next(afterVersion, nextOptions) {
      const { signal, urgency = 'urgent' } = waitOptions(nextOptions);
      const check = async () => {
        const snapshot = await current();
        return snapshot !== undefined && snapshot.version > afterVersion ? snapshot : undefined;
      };
      signal?.throwIfAborted();
      // Already there: no demand to register (a watch loop catching up). A failed read is retried below.
      const ready = await check().catch(() => undefined);
      if (ready !== undefined) {
        return ready;
      }
      const leave = options.demand.enter(urgency);
      try {
        return await waitOnChannel({
          hub,
          channel: keys.ordersChanged,
          fallbackMs: options.fallbackMs,
          signal,
          check,
        });
      } finally {
        leave();
      }
    },
    async requestPoll() {
      await redis.publish(keys.pollRequests, '1');
    },
  };
}

import { type CancelInfo, type FleetKeys, fleetRecordJson } from '@clore-batch/shared';
import type { Redis } from 'ioredis';
import type { ChannelHub } from './channel-hub';
import { fleetNow } from './fleet-clock';
import { REQUEST_CANCEL } from './fleet-scripts';
import type { Releases } from './fleet-types';
import { readOrdersSnapshot } from './order-book';
import { endedIn } from './orders-snapshot';
import { waitOnChannel } from './wait-on-channel';

export interface ReleasesOptions {
  redis: Redis;
  hub: ChannelHub;
  keys: FleetKeys;
  /** waitEnded re-reads the snapshot this often without a message. */
  fallbackMs: number;
}

/**
 * Any process's side of releases (docs/decisions/0048): request() persists the cancel in Redis
 * (the leader's cancel sender sends it and retries until the watcher sees the order ended);
 * waitEnded() watches the leader's snapshots, never Clore.
 */
export function createReleases(options: ReleasesOptions): Releases {
  const { redis, hub, keys } = options;
  return {
    async request(orderId, context) {
      const now = await fleetNow(redis);
      const info: CancelInfo = { orderId, reason: context.reason, requestedAt: now, sends: 0 };
      if (context.jobId !== undefined) {
        info.jobId = context.jobId;
      }
      await redis.eval(
        REQUEST_CANCEL,
        2,
        keys.cancels,
        keys.cancelInfo,
        String(orderId),
        now,
        fleetRecordJson('cancelInfo', info),
        keys.cancelRequests,
      );
    },
    async waitEnded(orderId, signal) {
      const result = await waitOnChannel({
        hub,
        channel: keys.ordersChanged,
        fallbackMs: options.fallbackMs,
        signal,
        check: async () => {
          const snapshot = await readOrdersSnapshot(redis, keys);
          if (snapshot === undefined) {
            return undefined;
          }
          // Evidence only (docs/decisions/0110): absence from an answer never ends an order.
          const state = endedIn(snapshot, orderId);
          return state.ended ? { order: state.order } : undefined;
        },
      });
      return result.order;
    },
  };
}

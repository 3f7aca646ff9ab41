import type { FleetKeys } from '@clore-batch/shared';
import type { Redis } from 'ioredis';
import type { OrdersSnapshot } from './fleet-types';
import { endedIn } from './orders-snapshot';

/** What the fleet remembers about one pending cancel (fleetKeys.cancelInfo). */
export interface CancelInfo {
  orderId: number;
  jobId?: string;
  reason: string;
  /** Redis time (fleetNow) of the first request: the order was known to exist then. */
  requestedAt: number;
  /** cancel_orders calls that included this order so far. */
  sends: number;
  lastSentAt?: number;
}

export async function pendingCancelIds(redis: Redis, keys: FleetKeys): Promise<number[]> {
  return (await redis.zrange(keys.cancels, '0', '-1')).map(Number);
}

export async function readCancelInfos(
  redis: Redis,
  keys: FleetKeys,
  ids: readonly number[],
): Promise<Map<number, CancelInfo>> {
  const infos = new Map<number, CancelInfo>();
  if (ids.length === 0) {
    return infos;
  }
  const raws = await redis.hmget(keys.cancelInfo, ...ids.map(String));
  raws.forEach((raw, index) => {
    const id = ids[index];
    if (raw !== null && raw !== undefined && id !== undefined) {
      try {
        infos.set(id, JSON.parse(raw) as CancelInfo);
      } catch {
        // A malformed entry is rewritten by the sender.
      }
    }
  });
  return infos;
}

/** Forget pending cancels whose order has ended. */
export async function finishCancels(redis: Redis, keys: FleetKeys, ids: readonly number[]): Promise<void> {
  if (ids.length > 0) {
    await redis
      .multi()
      .zrem(keys.cancels, ...ids.map(String))
      .hdel(keys.cancelInfo, ...ids.map(String))
      .exec();
  }
}

/**
 * After each stored snapshot: the pending cancels whose order the snapshot shows ended (listed as
 * ended, or absent from a poll that started after the request) are done. Returns their ids.
 */
export async function settleCancels(
  redis: Redis,
  keys: FleetKeys,
  snapshot: OrdersSnapshot,
): Promise<number[]> {
  const ids = await pendingCancelIds(redis, keys);
  const infos = await readCancelInfos(redis, keys, ids);
  const done = ids.filter((id) => {
    const info = infos.get(id);
    // Without its info the request time is unknown: only an explicit ended entry counts.
    return endedIn(snapshot, id, info?.requestedAt ?? Number.POSITIVE_INFINITY).ended;
  });
  await finishCancels(redis, keys, done);
  return done;
}

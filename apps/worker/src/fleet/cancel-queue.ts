import { type CancelInfo, type FleetKeys, parseFleetRecord } from '@clore-batch/shared';
import type { Redis } from 'ioredis';
import type { OrdersSnapshot } from './fleet-types';
import { endedIn } from './orders-snapshot';

/** What the fleet remembers about one pending cancel (fleetKeys.cancelInfo; its schema is in @clore-batch/shared). */
export type { CancelInfo };

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
        infos.set(id, parseFleetRecord('cancelInfo', raw));
      } catch {
        // A malformed entry is read as none: the sender still sends the cancel (with default info).
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
 * After each stored snapshot: the pending cancels whose order the snapshot shows ended on evidence
 * (seen expired, absent after our accepted cancel, or proved by a cancel answer) are done. Absence
 * alone never settles one (docs/decisions/0110). Returns their ids.
 */
export async function settleCancels(
  redis: Redis,
  keys: FleetKeys,
  snapshot: OrdersSnapshot,
): Promise<number[]> {
  const ids = await pendingCancelIds(redis, keys);
  const done = ids.filter((id) => endedIn(snapshot, id).ended);
  await finishCancels(redis, keys, done);
  return done;
}

import type { FleetKeys } from '@clore-batch/shared';
import type { Redis } from 'ioredis';
import { DELETE_IF_EQUAL, TAKE_OR_EXTEND } from './fleet-scripts';
import type { ServerClaims } from './fleet-types';

/**
 * Short-lived claims on servers, so two jobs never race for the same one: `SET NX PX` with the job
 * id (the same job re-claiming extends it); release is compare-and-delete, so a job never frees a
 * claim that expired and was taken by another.
 */
export function createServerClaims(redis: Redis, keys: FleetKeys): ServerClaims {
  return {
    async claim(serverId, jobId, ttlMs) {
      const held = await redis.eval(
        TAKE_OR_EXTEND,
        1,
        keys.claim(serverId),
        jobId,
        Math.max(1, Math.ceil(ttlMs)),
      );
      return Number(held) === 1;
    },
    async release(serverId, jobId) {
      await redis.eval(DELETE_IF_EQUAL, 1, keys.claim(serverId), jobId);
    },
  };
}

import type { JobStore } from '@clore-batch/shared';
import type { Redis } from 'ioredis';
import type { DepthSample } from './chart-series';

/** How often the API samples the queue depth (one small ZSET member each time). */
export const QUEUE_SAMPLE_MS = 60_000;
/** Samples older than this are trimmed (the widest chart range). */
export const QUEUE_SAMPLE_KEEP_MS = 30 * 24 * 3_600_000;

/**
 * The queue-depth history the queue chart draws: nothing else records how deep the queue was, so
 * each API process adds `<ms>:<queued>:<provisioning>` to one ZSET (redisKeys().queueDepthSamples)
 * once a minute and trims what is older than 30 days (≤ 43 200 members per API process).
 */
export interface QueueDepthSamples {
  /** The depth now (not stored). */
  current(nowMs: number): Promise<DepthSample>;
  /** The depth now, stored as a sample. */
  sample(nowMs: number): Promise<DepthSample>;
  read(fromMs: number): Promise<DepthSample[]>;
}

export function createQueueDepthSamples(deps: {
  redis: Redis;
  store: JobStore;
  key: string;
}): QueueDepthSamples {
  const current = async (nowMs: number): Promise<DepthSample> => {
    const counts = await deps.store.countByState();
    return { at: nowMs, queued: counts.queued, provisioning: counts.provisioning };
  };
  return {
    current,
    async sample(nowMs) {
      const sample = await current(nowMs);
      await deps.redis
        .multi()
        .zadd(deps.key, nowMs, `${nowMs}:${sample.queued}:${sample.provisioning}`)
        .zremrangebyscore(deps.key, '-inf', `(${nowMs - QUEUE_SAMPLE_KEEP_MS}`)
        .exec();
      return sample;
    },
    async read(fromMs) {
      const members = await deps.redis.zrangebyscore(deps.key, fromMs, '+inf');
      return members.flatMap((member) => {
        const [at, queued, provisioning] = member.split(':').map(Number);
        return at === undefined || queued === undefined || provisioning === undefined
          ? []
          : [{ at, queued, provisioning }];
      });
    },
  };
}

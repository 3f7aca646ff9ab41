import { type JobStore, METRICS, type TelemetryCounters } from '@clore-batch/shared';
import type { Redis } from 'ioredis';
import type { DepthSample } from './chart-series';

/** How often the API samples the queue depth (one small ZSET member each time). */
export const QUEUE_SAMPLE_MS = 60_000;
/** Samples older than this are trimmed (the widest chart range). */
export const QUEUE_SAMPLE_KEEP_MS = 30 * 24 * 3_600_000;

/** A sample also keeps the limiter's code-5 total then, so "code-5 answers in the last hour" is a difference. */
export interface Sample extends DepthSample {
  code5Total: number;
}

/**
 * The history the queue chart and the code-5 alert read: nothing else records how deep the queue
 * was, and the code-5 counter is a total since the start. Each API process adds
 * `<ms>:<queued>:<provisioning>:<code5Total>` to one ZSET (redisKeys().queueDepthSamples) once a
 * minute and trims what is older than 30 days (≤ 43 200 members per API process).
 */
export interface QueueDepthSamples {
  /** The figures now (not stored). */
  current(nowMs: number): Promise<Sample>;
  /** The figures now, stored as a sample. */
  sample(nowMs: number): Promise<Sample>;
  read(fromMs: number): Promise<Sample[]>;
}

export function createQueueDepthSamples(deps: {
  redis: Redis;
  store: JobStore;
  counters: TelemetryCounters;
  key: string;
}): QueueDepthSamples {
  const current = async (nowMs: number): Promise<Sample> => {
    const [counts, code5] = await Promise.all([
      deps.store.countByState(),
      deps.counters.read(METRICS.code5Answers),
    ]);
    return {
      at: nowMs,
      queued: counts.queued,
      provisioning: counts.provisioning,
      code5Total: code5.reduce((sum, row) => sum + row.value, 0),
    };
  };
  return {
    current,
    async sample(nowMs) {
      const s = await current(nowMs);
      await deps.redis
        .multi()
        .zadd(deps.key, nowMs, `${nowMs}:${s.queued}:${s.provisioning}:${s.code5Total}`)
        .zremrangebyscore(deps.key, '-inf', `(${nowMs - QUEUE_SAMPLE_KEEP_MS}`)
        .exec();
      return s;
    },
    async read(fromMs) {
      const members = await deps.redis.zrangebyscore(deps.key, String(fromMs), '+inf');
      return members.flatMap((member) => {
        const [at, queued, provisioning, code5Total] = member.split(':').map(Number);
        return at === undefined || queued === undefined || provisioning === undefined
          ? []
          : [{ at, queued, provisioning, code5Total: code5Total ?? 0 }];
      });
    },
  };
}

import type { Redis } from 'ioredis';
import type { KeyEntry } from '../keys/key-entry';

/**
 * Cross-process metrics in Redis: the worker counts Clore API calls, limiter waits, dollars and
 * reaped orphans; the API's /metrics reads them at scrape time. One hash per metric, one field per
 * label set (`endpoint=marketplace,code=0`), so any number of processes add to the same figures.
 */
export type Labels = Record<string, string | number>;

export function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((name) => `${name}=${String(labels[name]).replace(/[,=]/g, '_')}`)
    .join(',');
}

export function parseLabelKey(key: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of key.split(',')) {
    const at = pair.indexOf('=');
    if (at > 0) {
      labels[pair.slice(0, at)] = pair.slice(at + 1);
    }
  }
  return labels;
}

/** HASH of one metric: label key (`endpoint=marketplace,code=0`) → value. */
export function metricKey(prefix: string, metric: string): string {
  return `${prefix}:metrics:${metric}`;
}

/** The registry line of the metrics' keys (see keys/key-entry.ts). */
export const METRIC_KEY_ENTRIES: readonly KeyEntry[] = [
  {
    pattern: 'metrics:<id>',
    type: 'hash',
    content: 'one metric: label key → value (METRICS, `_sum`, `_count`)',
  },
];

export interface TelemetryCounters {
  /** Add `by` (default 1) to a counter. Never throws: metrics must not break the work they count. */
  add(metric: string, labels?: Labels, by?: number): Promise<void>;
  /** Record one observation (e.g. a duration in seconds): adds to `<metric>_sum` and `<metric>_count`. */
  observe(metric: string, value: number, labels?: Labels): Promise<void>;
  /** Set a gauge to `value` (e.g. active orders, written by the leader after each poll). */
  set(metric: string, value: number, labels?: Labels): Promise<void>;
  /** Every label set of a metric and its value. */
  read(metric: string): Promise<{ labels: Record<string, string>; value: number }[]>;
}

export function createTelemetryCounters(redis: Redis, prefix: string): TelemetryCounters {
  const key = (metric: string) => metricKey(prefix, metric);
  return {
    async add(metric, labels = {}, by = 1) {
      await redis.hincrbyfloat(key(metric), labelKey(labels), by).catch(() => undefined);
    },
    async observe(metric, value, labels = {}) {
      const field = labelKey(labels);
      await redis
        .multi()
        .hincrbyfloat(key(`${metric}_sum`), field, value)
        .hincrbyfloat(key(`${metric}_count`), field, 1)
        .exec()
        .catch(() => undefined);
    },
    async set(metric, value, labels = {}) {
      await redis.hset(key(metric), labelKey(labels), value).catch(() => undefined);
    },
    async read(metric) {
      const all = await redis.hgetall(key(metric));
      return Object.entries(all).map(([field, value]) => ({
        labels: parseLabelKey(field),
        value: Number(value),
      }));
    },
  };
}

/** Metric names shared by the writers (worker) and the reader (API /metrics). */
export const METRICS = {
  cloreCalls: 'clore_api_calls_total',
  limiterWait: 'clore_limiter_wait_seconds',
  usdSpent: 'usd_spent_total',
  orphansReaped: 'orphans_reaped_total',
  activeOrders: 'clore_active_orders',
  code5Answers: 'clore_code5_answers_total',
  jobDuration: 'job_duration_seconds',
  provisioningDuration: 'job_provisioning_seconds',
} as const;

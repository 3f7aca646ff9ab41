import { createTelemetryCounters, JOB_STATES, type JobStore, METRICS } from '@clore-batch/shared';
import type { Redis } from 'ioredis';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { TenantFiguresReader } from '../tenants/tenant-figures';
import { redisMetric } from './redis-metric';
import { registerTenantMetrics } from './tenant-metrics';

export interface ApiMetrics {
  registry: Registry;
  /** Count one answered request (route pattern, not the URL: bounded label values). */
  observeRequest(labels: { method: string; route: string; status: number }, seconds: number): void;
}

const P = 'clore_batch_';

/**
 * One prom-client registry per app instance (never the global one, so tests can build many apps).
 * Jobs by state come from the store at scrape time; everything the workers measure comes from the
 * Redis telemetry counters (METRICS names), read at scrape time too; the per-tenant gauges from the
 * tenant figures (tenant-metrics.ts).
 */
export function createApiMetrics(deps: {
  redis: Redis;
  prefix: string;
  store: JobStore;
  tenants: TenantFiguresReader;
}): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: `${P}api_` });
  const { store } = deps;
  new Gauge({
    name: `${P}jobs`,
    help: 'Jobs in each state (all owners)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = await store.countByState();
      for (const state of JOB_STATES) {
        this.set({ state }, counts[state]);
      }
    },
  });
  registerTenantMetrics(registry, P, deps.tenants);
  const telemetry = createTelemetryCounters(deps.redis, deps.prefix);
  const fromRedis: Array<[source: string, help: string, type: 'counter' | 'gauge' | 'summary']> = [
    [METRICS.jobDuration, 'Seconds from a job leaving queued to its end', 'summary'],
    [
      METRICS.provisioningDuration,
      'Seconds spent provisioning (choosing, ordering, waiting for SSH)',
      'summary',
    ],
    [METRICS.cloreCalls, 'Clore API calls by endpoint and answer code', 'counter'],
    [METRICS.code5Answers, 'Clore API code 5 (rate limited) answers', 'counter'],
    [METRICS.limiterWait, 'Seconds spent waiting for the shared Clore rate limiter, by lane', 'counter'],
    [METRICS.usdSpent, 'USD billed by the provider for rentals', 'counter'],
    [METRICS.activeOrders, 'Clore orders currently active', 'gauge'],
    [METRICS.orphansReaped, 'Orphaned orders cancelled by the reaper', 'counter'],
  ];
  for (const [source, help, type] of fromRedis) {
    registry.registerMetric(redisMetric({ telemetry, source, name: `${P}${source}`, help, type }));
  }
  const requests = new Counter({
    name: `${P}api_requests_total`,
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const durations = new Histogram({
    name: `${P}api_request_duration_seconds`,
    help: 'HTTP request durations (SSE streams are not counted: they are handed over to the stream)',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  return {
    registry,
    observeRequest({ method, route, status }, seconds) {
      requests.inc({ method, route, status: String(status) });
      durations.observe({ method, route }, seconds);
    },
  };
}

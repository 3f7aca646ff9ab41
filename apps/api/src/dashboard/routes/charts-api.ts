import { type JobStore, redisKeys, type TenantLimits } from '@clore-batch/shared';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import {
  bucketsFor,
  CHART_NAMES,
  CHART_RANGES,
  type ChartData,
  type ChartName,
  type ChartRange,
} from '../charts/chart-data';
import { CHART_MAX_RANGE_MS, createChartJobs } from '../charts/chart-jobs';
import {
  baseOf,
  failuresChart,
  provisioningChart,
  queueChart,
  spendByGpuChart,
  spendChart,
  startsChart,
} from '../charts/chart-series';
import type { QueueDepthSamples } from '../charts/queue-depth-sampler';

/** A chart answer is reused for this long, however many tabs poll it. */
export const CHART_CACHE_MS = 5_000;

const ChartParams = z.object({ chart: z.enum(CHART_NAMES) });
const ChartQuery = z.strictObject({
  range: z.enum(Object.keys(CHART_RANGES) as [ChartRange, ...ChartRange[]]).default('24h'),
});

/**
 * GET /admin/api/charts/<chart>?range=24h|7d|30d, one route per chart (charts/chart-series.ts).
 * Bounded: only the jobs finished in the range (the `finished` ZSET) and the live ones are read, in
 * pipelined batches, finished ones remembered; each answer is cached CHART_CACHE_MS.
 */
export async function chartsApiRoutes(
  root: FastifyInstance,
  deps: {
    redis: Redis;
    store: JobStore;
    prefix: string;
    tenantLimits: TenantLimits;
    createSpacingMs: number;
    samples: QueueDepthSamples;
    now: () => Date;
  },
): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const keys = redisKeys(deps.prefix);
  const jobs = createChartJobs({
    redis: deps.redis,
    store: deps.store,
    keys: keys.store,
    now: () => deps.now().getTime(),
  });
  const { samples } = deps;
  const cache = new Map<string, { at: number; data: Promise<ChartData> }>();

  async function compute(chart: ChartName, range: ChartRange, nowMs: number): Promise<ChartData> {
    const b = bucketsFor(range, nowMs, chart === 'starts');
    const base = baseOf(range, b);
    const facts = await jobs.read(b.fromMs);
    switch (chart) {
      case 'spend':
        return spendChart(facts, b, base, deps.tenantLimits);
      case 'spend-by-gpu':
        return spendByGpuChart(facts, b, base);
      case 'queue': {
        const history = await samples.read(b.fromMs);
        return queueChart(facts, [...history, await samples.current(nowMs)], b, base);
      }
      case 'provisioning':
        return provisioningChart(facts, b, base);
      case 'failures':
        return failuresChart(facts, b, base);
      case 'starts':
        return startsChart(facts, b, base, deps.createSpacingMs);
    }
  }

  app.get(
    '/admin/api/charts/:chart',
    { config: { dashboard: 'api' }, schema: { params: ChartParams, querystring: ChartQuery } },
    async (request) => {
      const { chart } = request.params;
      const { range } = request.query;
      const nowMs = deps.now().getTime();
      const key = `${chart}:${range}`;
      const hit = cache.get(key);
      if (hit !== undefined && nowMs - hit.at < CHART_CACHE_MS && nowMs >= hit.at) {
        return hit.data;
      }
      const data = compute(chart, range, nowMs);
      cache.set(key, { at: nowMs, data });
      data.catch(() => cache.delete(key));
      return data;
    },
  );
  // Read the 30 days' finished records once at start, so that no admin's first look pays for it.
  app.addHook('onReady', async () => {
    jobs
      .read(deps.now().getTime() - CHART_MAX_RANGE_MS)
      .catch((error: unknown) => app.log.warn({ err: error }, 'chart facts warm-up failed'));
  });
}

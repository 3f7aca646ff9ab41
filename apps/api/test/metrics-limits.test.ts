import { createTelemetryCounters, METRICS, silentLogger } from '@clore-batch/shared';
import { describe, expect } from 'vitest';
import { startEnqueueSweep } from '../src/submission/enqueue-sweep';
import { apiTest } from './support/api-fixture';
import { auth, validSpec } from './support/api-kit';

const test = apiTest();

describe('/metrics', () => {
  test("shows jobs by state from the store and the workers' figures from the Redis telemetry", async ({
    server,
    openApi,
  }) => {
    const api = await openApi();
    for (let i = 0; i < 3; i += 1) {
      await api.app.inject({ method: 'POST', url: '/v1/jobs', headers: auth('alice'), payload: validSpec() });
    }
    const telemetry = createTelemetryCounters(server.redis, api.prefix);
    await telemetry.add(METRICS.cloreCalls, { endpoint: 'marketplace', code: 0 }, 4);
    await telemetry.add(METRICS.cloreCalls, { endpoint: 'create_order', code: 5 });
    await telemetry.add(METRICS.limiterWait, { lane: 'create' }, 2.5);
    await telemetry.add(METRICS.usdSpent, {}, 1.25);
    await telemetry.add(METRICS.orphansReaped, {}, 2);
    await telemetry.set(METRICS.activeOrders, 7);
    await telemetry.observe(METRICS.jobDuration, 30);
    await telemetry.observe(METRICS.jobDuration, 90);
    await telemetry.observe(METRICS.provisioningDuration, 12);
    const res = await api.app.inject({ method: 'GET', url: '/metrics', headers: auth('root') });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.body;
    for (const line of [
      'clore_batch_jobs{state="queued"} 3',
      'clore_batch_jobs{state="running"} 0',
      'clore_batch_clore_api_calls_total{code="0",endpoint="marketplace"} 4',
      'clore_batch_clore_api_calls_total{code="5",endpoint="create_order"} 1',
      'clore_batch_clore_limiter_wait_seconds{lane="create"} 2.5',
      'clore_batch_usd_spent_total 1.25',
      'clore_batch_orphans_reaped_total 2',
      'clore_batch_clore_active_orders 7',
      'clore_batch_job_duration_seconds_sum 120',
      'clore_batch_job_duration_seconds_count 2',
      'clore_batch_job_provisioning_seconds_sum 12',
    ]) {
      expect(text).toContain(line);
    }
    expect(text).toContain('# TYPE clore_batch_job_duration_seconds summary');
    expect(text).toContain('clore_batch_api_requests_total{method="POST",route="/v1/jobs",status="201"} 3');
  });
});

describe('per-token rate limit', () => {
  test('answers 429 RATE_LIMITED past the limit, per token, shared through Redis by two app instances', async ({
    openApi,
  }) => {
    const api = await openApi({ API_RATE_LIMIT_PER_MINUTE: '5' });
    const twin = await openApi({ API_RATE_LIMIT_PER_MINUTE: '5', REDIS_PREFIX: api.prefix });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i += 1) {
        const app = i % 2 === 0 ? api.app : twin.app;
        statuses.push(
          (await app.inject({ method: 'GET', url: '/v1/jobs', headers: auth('alice') })).statusCode,
        );
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      const limited = await api.app.inject({ method: 'GET', url: '/v1/jobs', headers: auth('alice') });
      expect(limited.json()).toMatchObject({ code: 'RATE_LIMITED' });
      expect(limited.headers['retry-after']).toBeDefined();
      const other = await api.app.inject({ method: 'GET', url: '/v1/jobs', headers: auth('bob') });
      expect(other.statusCode).toBe(200);
      const health = await api.app.inject({ method: 'GET', url: '/healthz' });
      expect(health.statusCode).toBe(200);
    } finally {
      await twin.close();
    }
  });
});

describe('enqueue sweep', () => {
  test('re-enqueues a queued job whose enqueue was lost (a crash between store and queue.add)', async ({
    openApi,
  }) => {
    const api = await openApi();
    const res = await api.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: auth('alice'),
      payload: validSpec(),
    });
    const id = res.json().id as string;
    const cancelled = (
      await api.app.inject({ method: 'POST', url: '/v1/jobs', headers: auth('alice'), payload: validSpec() })
    ).json().id;
    await api.app.inject({ method: 'POST', url: `/v1/jobs/${cancelled}/cancel`, headers: auth('alice') });
    await api.queue.obliterate({ force: true }); // as if both enqueues never happened
    let now = Date.now();
    const sweep = startEnqueueSweep({
      store: api.store,
      queue: api.queue,
      logger: silentLogger(),
      intervalMs: 60_000,
      minAgeMs: 5_000,
      now: () => now,
    });
    try {
      expect(await sweep.runOnce()).toEqual([]); // too young: a submission may still be enqueueing it
      now += 10_000;
      expect(await sweep.runOnce()).toEqual([id]);
      expect((await api.queue.getJob(id))?.data).toEqual({ jobId: id });
      expect(await api.queue.getJob(cancelled)).toBeUndefined();
      expect(await sweep.runOnce()).toEqual([]); // idempotent
    } finally {
      await sweep.stop();
    }
  });
});

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTelemetryCounters, fleetKeys, METRICS, newJobId } from '@clore-batch/shared';
import { describe, expect } from 'vitest';
import { apiTest, type OpenApi } from '../../test/support/api-fixture';
import { type TestApi, TOKENS } from '../../test/support/api-kit';
import { createTestJob, csrfOf, login } from '../../test/support/dashboard-kit';

const test = apiTest({}, { dashboard: {} });

let fx: TestApi;
let cookie: string;

async function open(openApi: OpenApi, env: Record<string, string> = {}) {
  fx = await openApi(env);
  cookie = (await login(fx.app, TOKENS.root)).cookie ?? '';
  return fx;
}
const get = (url: string) => fx.app.inject({ method: 'GET', url, headers: { cookie } });

describe('dashboard JSON API', () => {
  test('shows a job with secretEnv by names only: values appear in no dashboard answer', async ({
    openApi,
  }) => {
    await open(openApi);
    const id = await createTestJob(fx.store, {
      name: 'with-secrets',
      env: { PLAIN: 'visible-value' },
      secretEnv: { HF_TOKEN: 'hf_supersecretvalue123', DB_PASSWORD: 'pa55-w0rd-secret' },
    });
    const detail = await get(`/admin/api/jobs/${id}`);
    expect(detail.statusCode).toBe(200);
    const { job } = detail.json();
    expect(job.spec.secretEnvNames).toEqual(['DB_PASSWORD', 'HF_TOKEN']);
    expect(job.spec.env).toEqual({ PLAIN: 'visible-value' });
    expect(job.spec.secretEnv).toBeUndefined();
    const answers = [
      detail,
      await get('/admin/api/jobs'),
      await get(`/admin/api/jobs?q=with`),
      await get('/admin/api/money'),
    ];
    for (const answer of answers) {
      expect(answer.statusCode).toBe(200);
      expect(answer.body).not.toContain('hf_supersecretvalue123');
      expect(answer.body).not.toContain('pa55-w0rd-secret');
    }
  });

  test('cancel needs the session CSRF token and same Origin; with both it cancels a queued job', async ({
    openApi,
  }) => {
    await open(openApi);
    const id = await createTestJob(fx.store, { name: 'to-cancel' });
    const csrf = await csrfOf(fx.app, cookie);
    const url = `/admin/api/jobs/${id}/cancel`;
    const noToken = await fx.app.inject({ method: 'POST', url, headers: { cookie } });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.json().message).toContain('X-CSRF-Token');
    const wrongToken = await fx.app.inject({
      method: 'POST',
      url,
      headers: { cookie, 'x-csrf-token': `${csrf}x` },
    });
    expect(wrongToken.statusCode).toBe(403);
    const otherSession = (await login(fx.app, TOKENS.root)).cookie ?? '';
    const tokenOfAnotherSession = await fx.app.inject({
      method: 'POST',
      url,
      headers: { cookie: otherSession, 'x-csrf-token': csrf },
    });
    expect(tokenOfAnotherSession.statusCode).toBe(403);
    const crossOrigin = await fx.app.inject({
      method: 'POST',
      url,
      headers: { cookie, 'x-csrf-token': csrf, origin: 'https://evil.example' },
    });
    expect(crossOrigin.statusCode).toBe(403);
    const viaGet = await fx.app.inject({ method: 'GET', url, headers: { cookie, 'x-csrf-token': csrf } });
    expect(viaGet.statusCode).toBe(401); // no GET route: the API's bearer-only not-found path
    expect((await fx.store.get(id)).state).toBe('queued');

    const ok = await fx.app.inject({
      method: 'POST',
      url,
      headers: { cookie, 'x-csrf-token': csrf, origin: 'http://localhost:80' },
    });
    expect(ok.statusCode).toBe(202);
    expect(ok.json().job.state).toBe('cancelled');
    expect((await fx.store.get(id)).state).toBe('cancelled');
    const again = await fx.app.inject({ method: 'POST', url, headers: { cookie, 'x-csrf-token': csrf } });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('JOB_ALREADY_TERMINAL');
  });

  test('an admin bearer token works without CSRF (no ambient credential)', async ({ openApi }) => {
    await open(openApi);
    const id = await createTestJob(fx.store);
    const response = await fx.app.inject({
      method: 'POST',
      url: `/admin/api/jobs/${id}/cancel`,
      headers: { authorization: `Bearer ${TOKENS.root}` },
    });
    expect(response.statusCode).toBe(202);
  });

  test("shows a sweep's jobs with their sweep and point; searching the sweep id lists them", async ({
    openApi,
  }) => {
    await open(openApi);
    await createTestJob(fx.store, { name: 'alone' }, 'alice');
    const sweep = await fx.app.inject({
      method: 'POST',
      url: '/v1/sweeps',
      headers: { authorization: `Bearer ${TOKENS.alice}` },
      payload: {
        spec: {
          gpu: { model: 'RTX 4090' },
          image: 'ubuntu:22.04',
          command: 'true',
          maxPricePerHourUsd: 1,
          budgetUsd: 1,
        },
        count: 2,
      },
    });
    const { id } = sweep.json();
    const found = (await get(`/admin/api/jobs?q=${id}`)).json();
    expect(found.jobs.map((j: { sweepId: string; sweepIndex: number }) => [j.sweepId, j.sweepIndex])).toEqual(
      [
        [id, 1],
        [id, 0],
      ],
    );
  });

  test('lists, filters and searches jobs and counts them by state', async ({ openApi }) => {
    await open(openApi);
    const a = await createTestJob(fx.store, { name: 'train-llama', gpu: { model: 'RTX 4090' } }, 'alice');
    await createTestJob(fx.store, { name: 'render', gpu: { model: ['A100', 'H100'] } }, 'bob');
    const c = await createTestJob(fx.store, { name: 'train-mistral', gpu: { model: 'H100' } }, 'bob');
    await fx.store.requestCancel(c);

    const all = (await get('/admin/api/jobs')).json();
    expect(all.jobs.map((j: { name: string }) => j.name)).toEqual(['train-mistral', 'render', 'train-llama']);
    expect(all.jobs[2]).toMatchObject({
      id: a,
      owner: 'alice',
      state: 'queued',
      gpu: 'RTX 4090',
      costUsd: 0,
      budgetUsd: 5,
    });
    const byOwner = (await get('/admin/api/jobs?owner=bob')).json();
    expect(byOwner.jobs).toHaveLength(2);
    const byState = (await get('/admin/api/jobs?state=cancelled')).json();
    expect(byState.jobs.map((j: { id: string }) => j.id)).toEqual([c]);
    const byName = (await get('/admin/api/jobs?q=TRAIN')).json();
    expect(byName.jobs).toHaveLength(2);
    const byGpu = (await get('/admin/api/jobs?q=h100')).json();
    expect(byGpu.jobs.map((j: { name: string }) => j.name)).toEqual(['train-mistral', 'render']);
    const byId = (await get(`/admin/api/jobs?q=${a.slice(-8)}`)).json();
    expect(byId.jobs.map((j: { id: string }) => j.id)).toEqual([a]);
    const bad = await get('/admin/api/jobs?state=nope');
    expect(bad.statusCode).toBe(400);

    const summary = (await get('/admin/api/summary')).json();
    expect(summary.counts).toMatchObject({ queued: 2, cancelled: 1, running: 0 });
    expect(summary.admin).toBe('root');
  });

  test('reads the log from an offset, in base64, tail first', async ({ openApi }) => {
    await open(openApi);
    const id = await createTestJob(fx.store);
    const text = 'héllo wörld\n';
    await fx.store.appendLog(id, 0, Buffer.from(text));
    const first = (await get(`/admin/api/jobs/${id}/log`)).json();
    expect(first.offset).toBe(0);
    expect(Buffer.from(first.data, 'base64').toString('utf8')).toBe(text);
    const size = Buffer.byteLength(text);
    expect(first.size).toBe(size);
    await fx.store.appendLog(id, size, Buffer.from('more\n'));
    const next = (await get(`/admin/api/jobs/${id}/log?offset=${size}`)).json();
    expect(Buffer.from(next.data, 'base64').toString('utf8')).toBe('more\n');
    const none = (await get(`/admin/api/jobs/${id}/log?offset=${size + 5}`)).json();
    expect(none.data).toBe('');
    expect((await get(`/admin/api/jobs/${newJobId()}/log`)).statusCode).toBe(404);
    expect((await get('/admin/api/jobs/not-an-id/log')).statusCode).toBe(400);
  });

  test('downloads an output file as the REST API does: attachment with a safe name, nosniff', async ({
    openApi,
  }) => {
    await open(openApi);
    const id = await createTestJob(fx.store);
    const name = 'résumé "1".txt';
    await mkdir(join(fx.store.outputsDir(id), 'work'), { recursive: true });
    await writeFile(join(fx.store.outputsDir(id), 'work', name), 'bytes');
    const res = await get(`/admin/api/jobs/${id}/outputs/work/${encodeURIComponent(name)}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('bytes');
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="r_sum_ _1_.txt"; filename*=UTF-8''${encodeURIComponent(name)}`,
    );
    expect((await get(`/admin/api/jobs/${id}/outputs/work/..%2F..%2Foutput.log`)).statusCode).toBe(400);
  });

  test('joins active orders to jobs and marks orphans and foreign orders', async ({ openApi, server }) => {
    await open(openApi, { REAPER_GRACE_SECONDS: '120' });
    const id = await createTestJob(fx.store, { name: 'gpu-job' }, 'alice');
    const keys = fleetKeys(fx.config.REDIS_PREFIX);
    const order = (oid: number, serverId: number) => ({
      id: oid,
      serverId,
      currency: 'USD-Blockchain',
      pricePerDay: 24,
      creationFee: 0,
      spend: 0.5,
      createdAt: 1_700_000_000,
      expired: false,
      active: true,
      online: true,
      containerUp: true,
      deployed: true,
      ready: true,
      spot: false,
    });
    // A finished job whose order has ended: its intent is gone, its attempt still names the order.
    const done = await createTestJob(fx.store, { name: 'finished' }, 'bob');
    await fx.store.transition(done, 'dispatch');
    await fx.store.addAttempt(done, {
      serverId: 104,
      orderId: 14,
      gpu: 'RTX 4090',
      pricePerHourUsd: 1,
      currency: 'USD-Blockchain',
      startedAt: new Date().toISOString(),
      spentUsd: 0.1,
    });
    await fx.store.transition(done, 'fail', { reason: 'provider_error' });
    await server.redis.set(
      keys.ordersSnapshot,
      JSON.stringify({
        version: 7,
        at: Date.now(),
        orders: [order(11, 101), order(12, 102), order(13, 103)],
        ended: [{ ...order(14, 104), expired: true, active: false, ready: false }],
        // Absent from the latest answers, not proven ended: it may still bill (decision 0110).
        missing: [{ id: 15, order: order(15, 105), sinceMs: 5_000, misses: 2, missesAfterCancel: 0 }],
      }),
    );
    await server.redis.hset(
      keys.intents,
      `${id}:1`,
      JSON.stringify({ jobId: id, attempt: 1, serverId: 101, at: 1, orderId: 11 }),
    );
    await server.redis.hset(
      keys.orphans,
      '12',
      JSON.stringify({
        orderId: 12,
        serverId: 102,
        jobId: id,
        attempt: 0,
        firstSeen: 1_000,
        lastSeen: 1_000,
      }),
    );
    await server.redis.hset(
      keys.foreignOrders,
      '13',
      JSON.stringify({ orderId: 13, serverId: 103, firstSeen: 1 }),
    );
    await server.redis.hset(
      keys.cancelInfo,
      '12',
      JSON.stringify({ orderId: 12, reason: 'orphan', requestedAt: 1, sends: 1 }),
    );

    const view = (await get('/admin/api/orders')).json();
    expect(view.snapshot.version).toBe(7);
    const byId = Object.fromEntries(view.orders.map((o: { id: number }) => [o.id, o]));
    expect(byId[11]).toMatchObject({
      kind: 'job',
      jobId: id,
      attempt: 1,
      owner: 'alice',
      jobName: 'gpu-job',
      spendUsd: 0.5,
    });
    expect(byId[12]).toMatchObject({
      kind: 'orphan',
      cancelPending: true,
      orphan: { firstSeen: 1_000, reapableAt: 121_000 },
    });
    expect(byId[13]).toMatchObject({ kind: 'foreign' });
    expect(byId[13].jobId).toBeUndefined();
    expect(byId[15]).toMatchObject({ id: 15, serverId: 105, missingSinceMs: 5_000 });
    expect(byId[11].missingSinceMs).toBeUndefined();
    expect(view.ended).toEqual([
      expect.objectContaining({
        id: 14,
        kind: 'job',
        jobId: done,
        attempt: 1,
        jobState: 'failed',
        owner: 'bob',
      }),
    ]);
  });

  test('sums money per owner (today and total) and says the wallet is unknown without CLORE_API_KEY', async ({
    openApi,
  }) => {
    const noon = new Date(`${new Date().toISOString().slice(0, 10)}T12:00:00.000Z`);
    fx = await openApi({}, { dashboard: { now: () => noon } });
    cookie = (await login(fx.app, TOKENS.root)).cookie ?? '';
    const id = await createTestJob(fx.store, { budgetUsd: 3 }, 'alice');
    await fx.store.transition(id, 'dispatch');
    const startedAt = new Date(noon.getTime() - 60_000).toISOString();
    await fx.store.addAttempt(id, {
      serverId: 1,
      gpu: 'RTX 4090',
      pricePerHourUsd: 1,
      currency: 'USD-Blockchain',
      startedAt,
      spentUsd: 0.25,
    });
    const money = (await get('/admin/api/money')).json();
    expect(money.wallets).toEqual({ status: 'unknown', message: 'unknown: the API has no CLORE_API_KEY' });
    expect(money.owners).toEqual([
      expect.objectContaining({
        owner: 'alice',
        jobs: 1,
        liveJobs: 1,
        totalUsd: 0.25,
        todayUsd: 0.25,
        liveBudgetUsd: 3,
        liveSpentUsd: 0.25,
      }),
    ]);
  });

  test('reads the limiter telemetry: waits per lane, calls, code 5 answers, calls per minute', async ({
    openApi,
    server,
  }) => {
    let clock = Date.now();
    fx = await openApi({}, { dashboard: { now: () => new Date(clock) } });
    cookie = (await login(fx.app, TOKENS.root)).cookie ?? '';
    const counters = createTelemetryCounters(server.redis, fx.config.REDIS_PREFIX);
    // As the worker writes them: seconds added per lane (start-worker.ts onAcquire).
    await counters.add(METRICS.limiterWait, { lane: 'reads' }, 1.5);
    await counters.add(METRICS.limiterWait, { lane: 'reads' }, 0.5);
    await counters.add(METRICS.limiterWait, { lane: 'cancel' }, 0.25);
    await counters.add(METRICS.cloreCalls, { endpoint: 'my_orders', code: 0 }, 10);
    await counters.add(METRICS.cloreCalls, { endpoint: 'create_order', code: 5 }, 2);
    await counters.add(METRICS.code5Answers, {}, 2);
    const first = (await get('/admin/api/limiter')).json();
    // Calls per lane come from the endpoints' default lanes: my_orders → orders, create_order → create.
    expect(first.lanes).toEqual([
      { lane: 'cancel', totalSeconds: 0.25 },
      { lane: 'create', totalSeconds: 0, count: 2, meanSeconds: 0 },
      { lane: 'orders', totalSeconds: 0, count: 10, meanSeconds: 0 },
      { lane: 'reads', totalSeconds: 2 },
    ]);
    expect(first.totalCalls).toBe(12);
    expect(first.code5Answers).toBe(2);
    expect(first.callsPerMinute).toBeUndefined();
    await counters.add(METRICS.cloreCalls, { endpoint: 'my_orders', code: 0 }, 30);
    clock += 30_000;
    const second = (await get('/admin/api/limiter')).json();
    expect(second.callsPerMinute).toBeCloseTo(60, 6);
  });
});

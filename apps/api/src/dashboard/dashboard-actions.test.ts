import { createTelemetryCounters, fleetKeys, METRICS, parseJobSpec, toStoredSpec } from '@clore-batch/shared';
import { describe, expect } from 'vitest';
import { apiTest } from '../../test/support/api-fixture';
import { type TestApi, TOKENS, validSpec } from '../../test/support/api-kit';
import { createTestJob, csrfOf, login } from '../../test/support/dashboard-kit';

let walletUsd = 500;
const test = apiTest(
  { CLORE_CURRENCY: 'USD-Blockchain', ALERT_WALLET_MIN_USD: '20' },
  {
    dashboard: {
      wallets: () => ({
        get: async () => ({
          status: 'ok',
          at: 0,
          wallets: [{ currency: 'USD-Blockchain', balance: walletUsd }],
        }),
        close: async () => {},
      }),
    },
  },
);

let fx: TestApi;
let cookie: string;
const get = (url: string) => fx.app.inject({ method: 'GET', url, headers: { cookie } });
async function post(url: string, payload: unknown) {
  const csrf = await csrfOf(fx.app, cookie);
  return fx.app.inject({
    method: 'POST',
    url,
    headers: { cookie, 'x-csrf-token': csrf },
    payload: payload as object,
  });
}
const alertIds = async () =>
  ((await get('/admin/api/alerts')).json() as { alerts: { id: string }[] }).alerts.map((a) => a.id).sort();

describe('dashboard actions and alerts', () => {
  test('bulk cancel ends the selected queued jobs, and every live job of a sweep; bad bodies are 400', async ({
    api,
  }) => {
    fx = api;
    cookie = (await login(fx.app, TOKENS.root)).cookie ?? '';
    const [a, b, keep] = [
      await createTestJob(fx.store),
      await createTestJob(fx.store),
      await createTestJob(fx.store),
    ];
    const answer = await post('/admin/api/jobs/cancel', { ids: [a, b] });
    expect(answer.statusCode).toBe(202);
    expect(answer.json()).toEqual({ cancelled: [a, b], skipped: 0 });
    expect((await fx.store.get(a)).state).toBe('cancelled');
    expect((await fx.store.get(keep)).state).toBe('queued');
    const again = await post('/admin/api/jobs/cancel', { ids: [a] });
    expect(again.json()).toEqual({ cancelled: [], skipped: 1 });

    const spec = toStoredSpec(
      parseJobSpec(validSpec({ command: 'echo hi' }), { currency: 'USD-Blockchain' }),
    );
    const { sweep } = await fx.store.createSweep({ specs: [spec, spec, spec], owner: 'alice' });
    const swept = await post('/admin/api/jobs/cancel', { sweepId: sweep.id });
    expect(swept.json().cancelled).toHaveLength(3);
    for (const id of sweep.jobIds) {
      expect((await fx.store.get(id)).state).toBe('cancelled');
    }
    expect((await post('/admin/api/jobs/cancel', { ids: [] })).statusCode).toBe(400);
    expect((await post('/admin/api/jobs/cancel', { ids: ['nope'] })).statusCode).toBe(400);
    const noCsrf = await fx.app.inject({
      method: 'POST',
      url: '/admin/api/jobs/cancel',
      headers: { cookie },
      payload: { ids: [keep] },
    });
    expect(noCsrf.statusCode).toBe(403);
  });

  test('re-submit makes a new job with the same spec and owner; secrets only as typed again', async ({
    api,
  }) => {
    fx = api;
    cookie = (await login(fx.app, TOKENS.root)).cookie ?? '';
    const old = await createTestJob(
      fx.store,
      { name: 'again', env: { A: '1' }, secretEnv: { HF_TOKEN: 'hf_old_value', DB: 'db_old' } },
      'bob',
    );
    await fx.store.requestCancel(old);
    const answer = await post(`/admin/api/jobs/${old}/resubmit`, { secretEnv: { HF_TOKEN: 'hf_new_value' } });
    expect(answer.statusCode).toBe(201);
    const fresh = await fx.store.get(answer.json().id);
    const before = await fx.store.get(old);
    expect(fresh.id).not.toBe(old);
    expect(fresh.owner).toBe('bob');
    expect(fresh.state).toBe('queued');
    expect({ ...fresh.spec, secretEnvNames: [] }).toEqual({ ...before.spec, secretEnvNames: [] });
    expect(fresh.spec.secretEnvNames).toEqual(['HF_TOKEN']);
    expect(fresh.events.map((e) => e.message).join('\n')).toContain(`re-submitted from ${old} by admin root`);
    const detail = await get(`/admin/api/jobs/${fresh.id}`);
    expect(detail.body).not.toContain('hf_new_value');
    const unknown = await post(`/admin/api/jobs/${old}/resubmit`, { secretEnv: { OTHER: 'x' } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().message).toContain('OTHER');
  });

  test('CSV: one row per job with its cost, fields quoted and formula-safe', async ({ api }) => {
    fx = api;
    cookie = (await login(fx.app, TOKENS.root)).cookie ?? '';
    const plain = await createTestJob(fx.store, { name: 'plain' });
    const tricky = await createTestJob(fx.store, { name: '=HYPERLINK("x"), "quoted"' }, 'bob');
    await fx.store.transition(plain, 'dispatch');
    await fx.store.addAttempt(plain, {
      serverId: 104,
      orderId: 14,
      gpu: 'RTX 4090',
      pricePerHourUsd: 1,
      currency: 'USD-Blockchain',
      startedAt: new Date().toISOString(),
      spentUsd: 1.25,
    });
    const csv = await get('/admin/api/jobs.csv');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.headers['content-disposition']).toMatch(/attachment; filename="jobs-\d{4}-\d\d-\d\d\.csv"/);
    const lines = csv.body.trimEnd().split('\r\n');
    expect(lines[0]).toContain('cost_usd');
    expect(lines).toHaveLength(3);
    const costAt = lines[0]?.split(',').indexOf('cost_usd') ?? -1;
    const plainLine = lines.find((l) => l.startsWith(plain)) ?? '';
    expect(plainLine.split(',')[costAt]).toBe('1.250000');
    expect(lines.find((l) => l.startsWith(tricky))).toContain(`"'=HYPERLINK(""x""), ""quoted"""`);
    const bobOnly = (await get('/admin/api/jobs.csv?owner=bob')).body.trimEnd().split('\r\n');
    expect(bobOnly).toHaveLength(2);
  });

  test('log search reads the whole log, not the tail; download gives all of it', async ({ api }) => {
    fx = api;
    cookie = (await login(fx.app, TOKENS.root)).cookie ?? '';
    const id = await createTestJob(fx.store);
    const lines = Array.from({ length: 30_000 }, (_, i) => `step ${i} loss=${(1 / (i + 1)).toFixed(5)}`);
    lines[3] = 'WARNING: early NaN';
    const text = `${lines.join('\n')}\n`;
    await fx.store.appendLog(id, 0, Buffer.from(text));
    const found = await get(`/admin/api/jobs/${id}/log/search?q=warning`);
    expect(found.statusCode).toBe(200);
    expect(found.json()).toEqual({
      matches: [{ line: 4, text: 'WARNING: early NaN' }],
      truncated: false,
      query: 'warning',
    });
    const many = (await get(`/admin/api/jobs/${id}/log/search?q=step&limit=5`)).json();
    expect(many.matches).toHaveLength(5);
    expect(many.truncated).toBe(true);
    expect((await get(`/admin/api/jobs/${id}/log/search?q=`)).statusCode).toBe(400);
    const download = await get(`/admin/api/jobs/${id}/log/download`);
    expect(download.headers['content-disposition']).toBe(`attachment; filename="${id}.log"`);
    expect(download.body).toBe(text);
  });

  test('alerts appear while their condition holds and go when it is cleared', async ({ api, server }) => {
    fx = api;
    cookie = (await login(fx.app, TOKENS.root)).cookie ?? '';
    const keys = fleetKeys(fx.prefix);
    // No worker in this test: nobody holds the leader lease.
    expect(await alertIds()).toEqual(['leader-silent']);
    walletUsd = 5;
    expect(await alertIds()).toEqual(['leader-silent', 'wallet-low']);
    walletUsd = 500;
    await server.redis.hset(keys.foreignOrders, '777', '{}');
    expect(await alertIds()).toEqual(['foreign-orders', 'leader-silent']);
    await server.redis.hdel(keys.foreignOrders, '777');
    const counters = createTelemetryCounters(server.redis, fx.prefix);
    await counters.add(METRICS.code5Answers, { endpoint: 'create_order' }, 2);
    expect(
      (await get('/admin/api/alerts')).json().alerts.find((a: { id: string }) => a.id === 'code5-answers')
        ?.message,
    ).toContain('2 code-5');
    expect(await alertIds()).toEqual(['code5-answers', 'leader-silent']);
  });
});

describe('chart routes and the charting library', () => {
  test('uPlot is served by the API under the dashboard CSP; chart routes validate chart and range', async ({
    api,
  }) => {
    fx = api;
    cookie = (await login(fx.app, TOKENS.root)).cookie ?? '';
    const script = await get('/admin/static/uplot.js');
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toContain('javascript');
    expect(script.headers['content-security-policy']).toContain("script-src 'self'");
    expect(script.body).toContain('uPlot');
    expect((await get('/admin/static/uplot.css')).headers['content-type']).toContain('text/css');
    const page = await get('/admin');
    expect(page.body).toContain('<script src="/admin/static/uplot.js" defer></script>');

    await createTestJob(fx.store);
    const spend = await get('/admin/api/charts/spend?range=7d');
    expect(spend.statusCode).toBe(200);
    expect(spend.json()).toMatchObject({
      chart: 'spend',
      range: '7d',
      timeZone: 'UTC',
      bucketSeconds: 86_400,
    });
    // The hour's samples: the one taken at start (0 queued) and the depth now (1 queued): 0.5, or
    // 1 if an hour began between the two.
    expect([0.5, 1]).toContain((await get('/admin/api/charts/queue')).json().series[0].values.at(-1));
    expect((await get('/admin/api/charts/spend?range=90d')).statusCode).toBe(400);
    expect((await get('/admin/api/charts/everything')).statusCode).toBe(400);
    const anonymous = await fx.app.inject({ method: 'GET', url: '/admin/api/charts/spend' });
    expect(anonymous.statusCode).toBe(401);
  });
});

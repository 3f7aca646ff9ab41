import { fairKeys } from '@clore-batch/shared';
import type { Redis } from 'ioredis';
import { describe, expect } from 'vitest';
import { tenantWebhookKey, webhookKey } from '../src/webhooks/signature';
import { apiTest } from './support/api-fixture';
import { auth, type TestApi, TOKENS } from './support/api-kit';
import { createTestJob, login } from './support/dashboard-kit';
import { bill } from './tenant-fixture';

const LIMITS = {
  alice: { maxRunningJobs: 1, maxQueuedJobs: 10, dailySpendUsd: 20, monthlySpendUsd: 100 },
  '*': { dailySpendUsd: 50 },
};
const test = apiTest({ TENANT_LIMITS: JSON.stringify(LIMITS) }, { dashboard: {} });

/**
 * alice (maxRunningJobs 1): one job running that was billed $4, one failed job billed $1, three
 * queued: one given a slot by the fair-share dispatch (admitted: counted as running), two waiting;
 * bob ("*"): one queued job; root: nothing. Budgets $5.
 */
async function tenantsWithJobs(api: TestApi, redis: Redis): Promise<void> {
  const running = await createTestJob(api.store, {}, 'alice');
  await bill(api.store, running, 4, false);
  const failed = await createTestJob(api.store, {}, 'alice');
  await bill(api.store, failed, 1, true);
  const admitted = await createTestJob(api.store, {}, 'alice');
  await redis.zadd(fairKeys(api.prefix).admitted('alice'), Date.now(), admitted);
  await createTestJob(api.store, {}, 'alice');
  await createTestJob(api.store, {}, 'alice');
  await createTestJob(api.store, {}, 'bob');
}

describe('per-tenant figures', () => {
  test('/metrics has per-tenant limits, billed spend, queued, running and waiting jobs', async ({
    api,
    server,
  }) => {
    await tenantsWithJobs(api, server.redis);
    const res = await api.app.inject({ method: 'GET', url: '/metrics', headers: auth('root') });
    expect(res.statusCode).toBe(200);
    const lines = res.body.split('\n').filter((line) => line.startsWith('clore_batch_tenant_'));
    expect(lines).toEqual(
      expect.arrayContaining([
        'clore_batch_tenant_limit{tenant="alice",limit="maxRunningJobs"} 1',
        'clore_batch_tenant_limit{tenant="alice",limit="maxQueuedJobs"} 10',
        'clore_batch_tenant_limit{tenant="alice",limit="dailySpendUsd"} 20',
        'clore_batch_tenant_limit{tenant="alice",limit="monthlySpendUsd"} 100',
        'clore_batch_tenant_limit{tenant="bob",limit="dailySpendUsd"} 50',
        'clore_batch_tenant_billed_usd{tenant="alice",period="day"} 5',
        'clore_batch_tenant_billed_usd{tenant="alice",period="month"} 5',
        'clore_batch_tenant_billed_usd{tenant="bob",period="day"} 0',
        'clore_batch_tenant_jobs{tenant="alice",state="queued"} 3',
        'clore_batch_tenant_jobs{tenant="alice",state="running"} 2',
        'clore_batch_tenant_jobs{tenant="bob",state="queued"} 1',
        'clore_batch_tenant_jobs{tenant="bob",state="running"} 0',
        'clore_batch_tenant_waiting_jobs{tenant="alice"} 2',
        'clore_batch_tenant_waiting_jobs{tenant="bob"} 0',
        'clore_batch_tenant_waiting_jobs{tenant="root"} 0',
      ]),
    );
    // Only the configured token names are label values; bob has no maxRunningJobs.
    const tenants = new Set(lines.map((line) => /tenant="([^"]*)"/.exec(line)?.[1]));
    expect([...tenants].sort()).toEqual(['alice', 'bob', 'root']);
    expect(lines.some((line) => line.includes('tenant="bob",limit="maxRunningJobs"'))).toBe(false);
  });

  test('the dashboard Tenants view (HTTP) shows limits, spend against the caps, queued, running, waiting', async ({
    api,
    server,
    baseUrl,
  }) => {
    await tenantsWithJobs(api, server.redis);
    const { cookie } = await login(api.app, TOKENS.root);
    const res = await fetch(`${baseUrl}/admin/api/tenants`, { headers: { cookie: cookie ?? '' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = await res.text();
    const view = JSON.parse(body) as { tenants: Array<Record<string, unknown>> };
    expect(view.tenants.map((t) => t.tenant)).toEqual(['alice', 'bob', 'root']);
    expect(view.tenants[0]).toEqual({
      tenant: 'alice',
      limits: LIMITS.alice,
      spend: {
        day: { billedUsd: 5, capUsd: 20, percentOfCap: 25 },
        month: { billedUsd: 5, capUsd: 100, percentOfCap: 5 },
      },
      unspentUsd: 16, // the running job's $1 left + three queued jobs' $5
      queued: 3,
      running: 2,
      waitingForMaxRunning: 2,
    });
    expect(view.tenants[1]).toMatchObject({
      tenant: 'bob',
      limits: LIMITS['*'],
      spend: { day: { billedUsd: 0, capUsd: 50, percentOfCap: 0 }, month: { billedUsd: 0 } },
      queued: 1,
      running: 0,
      waitingForMaxRunning: 0,
    });
    // No tenant's webhook key in the dashboard.
    const master = webhookKey(api.config.WEBHOOK_SECRET, api.config.SECRETS_KEY);
    for (const tenant of ['alice', 'bob', 'root']) {
      expect(body).not.toContain(tenantWebhookKey(master, tenant));
    }
    // A submit token is not let in.
    const asSubmit = await fetch(`${baseUrl}/admin/api/tenants`, { headers: auth('alice') });
    expect(asSubmit.status).toBe(403);
  });
});

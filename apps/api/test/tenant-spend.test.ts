import { periodStart } from '@clore-batch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpFrom } from './edge-http';
import {
  openApi,
  type RedisServer,
  startRedisServer,
  type TestApi,
  TOKENS,
  validSpec,
} from './support/api-kit';
import { bill, jobSubmittedAt, secondProcess, submitter } from './tenant-fixture';

/**
 * Spend caps (docs/decisions/0129): budget + bills of the tenant's jobs submitted in the period +
 * unspent budgets of its live jobs. One app for the whole file: the jobs "submitted last month" are
 * made first, because job ids take the newest time an id of this process had (ids sort by time).
 */
let server: RedisServer;
let api: TestApi;

beforeAll(async () => {
  server = await startRedisServer();
  api = await openApi(server, {
    TENANT_LIMITS: JSON.stringify({
      alice: { dailySpendUsd: 20, monthlySpendUsd: 30 },
      bob: { dailySpendUsd: 10 },
      root: { dailySpendUsd: 10 },
    }),
  });
});
afterAll(async () => {
  await api.close();
  await server.stop();
});

const now = new Date();
const lastMonth = new Date(periodStart(now, 'month').getTime() - 5 * 86_400_000);

describe('TENANT_LIMITS at submit: spend caps', () => {
  it('counts bills of the period across jobs, unspent budgets of live jobs of any age, and refuses with the numbers', async () => {
    const submit = submitter(api);
    // Last month: a finished job billed $100 (its month is over) and a live one billed $2 of $10.
    const old = await jobSubmittedAt(server, api, lastMonth, 'alice', 100);
    await bill(api.store, old, 100, true);
    const oldLive = await jobSubmittedAt(server, api, lastMonth, 'alice', 10);
    await bill(api.store, oldLive, 2, false);

    // Today: a failed job billed $3 (budget 4) and a live one billed $1 of $5.
    const a = await submit('alice', { budgetUsd: 4 });
    await bill(api.store, a.json().id, 3, true);
    const b = await submit('alice', { budgetUsd: 5 });
    await bill(api.store, b.json().id, 1, false);
    // Daily: billed 3 + 1 = 4, unspent (10 - 2) + (5 - 1) = 12, so 4 more fit 20.
    const fits = await submit('alice', { budgetUsd: 4 });
    expect(fits.statusCode).toBe(201);
    const over = await submit('alice', { budgetUsd: 0.5 });
    expect(over.statusCode).toBe(403);
    expect(over.json()).toEqual({
      code: 'TENANT_DAILY_SPEND_CAP',
      message:
        'dailySpendUsd $20.00 of tenant "alice" would be passed: budget $0.50 + billed this UTC day $4.00 + unspent budgets of 3 live job(s) $16.00 = $20.50',
      details: {
        tenant: 'alice',
        limit: 'dailySpendUsd',
        limitUsd: 20,
        period: now.toISOString().slice(0, 10),
        budgetUsd: 0.5,
        billedUsd: 4,
        unspentUsd: 16,
        liveJobs: 3,
        totalUsd: 20.5,
      },
    });
    // bob's cap is his own.
    expect((await submit('bob', { budgetUsd: 10 })).statusCode).toBe(201);
    expect((await submit('bob', { budgetUsd: 0.01 })).json()).toMatchObject({
      code: 'TENANT_DAILY_SPEND_CAP',
    });
  });

  it('frees the cap as live jobs end under budget, and keeps the monthly cap over the days', async () => {
    const submit = submitter(api);
    // The live jobs of the first test end: $2 of $10 (last month), $1 of $5, and the queued $4 unused.
    for (const job of (await api.store.list({ owner: 'alice' })).jobs) {
      if (job.state === 'provisioning') {
        await api.store.requestCancel(job.id);
        await api.store.transition(job.id, 'cancel');
      } else if (job.state === 'queued') {
        await api.store.requestCancel(job.id);
      }
    }
    // Daily: billed 3 + 1 = 4 today, nothing live: 16 fit. Monthly: the same 4 of 30.
    const big = await submit('alice', { budgetUsd: 16 });
    expect(big.statusCode).toBe(201);
    const monthly = await submit('alice', { budgetUsd: 0.25 });
    expect(monthly.json()).toMatchObject({ code: 'TENANT_DAILY_SPEND_CAP', details: { totalUsd: 20.25 } });
    await api.store.requestCancel(big.json().id);
    // A job submitted earlier this month (not today) billed $20: the month is full, the day is not.
    const earlier = new Date(Math.max(periodStart(now, 'month').getTime(), Date.now() - 86_400_000 * 2));
    if (earlier.getTime() < periodStart(now, 'day').getTime()) {
      const id = await jobSubmittedAt(server, api, earlier, 'alice', 20);
      await bill(api.store, id, 20, true);
      const refused = await submit('alice', { budgetUsd: 7 });
      expect(refused.json()).toMatchObject({
        code: 'TENANT_MONTHLY_SPEND_CAP',
        details: { limitUsd: 30, billedUsd: 24, unspentUsd: 0, budgetUsd: 7, totalUsd: 31 },
      });
      expect((await submit('alice', { budgetUsd: 6 })).statusCode).toBe(201);
    }
  });

  it('admits concurrent submits one by one: never more than the cap, also across two API processes', async () => {
    const first = await secondProcess(server, api);
    const second = await secondProcess(server, api);
    try {
      // bob is at his $10 cap from the first test: cancel his live job, then race 8 × $3 into $10.
      for (const job of (await api.store.list({ owner: 'bob', state: 'queued' })).jobs) {
        await api.store.requestCancel(job.id);
      }
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          httpFrom('127.0.0.1', `${i % 2 === 0 ? first.url : second.url}/v1/jobs`, {
            method: 'POST',
            headers: { authorization: `Bearer ${TOKENS.bob}`, 'content-type': 'application/json' },
            body: JSON.stringify(validSpec({ budgetUsd: 3 })),
          }),
        ),
      );
      const codes = answers
        .map((r) => (r.status === 201 ? 'created' : r.json<{ code: string }>().code))
        .sort();
      expect(codes).toEqual([...Array(5).fill('TENANT_DAILY_SPEND_CAP'), ...Array(3).fill('created')]);
      expect((await api.store.countByState('bob')).queued).toBe(3);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('sees a bill counted on a finished job after it was read (a stray order reaped later)', async () => {
    const submit = submitter(api);
    const a = (await submit('root', { budgetUsd: 2 })).json().id;
    await bill(api.store, a, 2, true);
    const b = await submit('root', { budgetUsd: 1 }); // reads (and keeps) job a's $2
    expect(b.statusCode).toBe(201);
    await api.store.requestCancel(b.json().id);
    await api.store.recordStrayOrder(a, { orderId: 99, serverId: 7, attempt: 1, costUsd: 6 });
    const refused = await submit('root', { budgetUsd: 2.5 });
    expect(refused.json()).toMatchObject({
      code: 'TENANT_DAILY_SPEND_CAP',
      details: { billedUsd: 8, unspentUsd: 0, totalUsd: 10.5 },
    });
    expect((await submit('root', { budgetUsd: 2 })).statusCode).toBe(201);
  });
});

import { describe, expect, it } from 'vitest';
import { perJobRefusal, queueRefusal, spendRefusal, usd } from './tenant-admission';
import { periodStart, tenantUsage, type UsageJob } from './tenant-usage';

const now = new Date('2026-03-14T10:00:00.000Z');
let n = 0;
const job = (createdAt: string, state: UsageJob['state'], costUsd: number, budgetUsd: number): UsageJob => {
  n += 1;
  return { id: `job_${n}`, state, createdAt, costUsd, spec: { budgetUsd } };
};

describe('tenant usage', () => {
  it('starts the UTC day and month', () => {
    expect(periodStart(now, 'day').toISOString()).toBe('2026-03-14T00:00:00.000Z');
    expect(periodStart(now, 'month').toISOString()).toBe('2026-03-01T00:00:00.000Z');
  });

  it('counts bills by the period the job was submitted in and live jobs by their unspent budget', () => {
    const live = job('2026-02-27T09:00:00.000Z', 'running', 3, 10); // last month, still running
    const usage = tenantUsage(
      [
        job('2026-03-14T09:00:00.000Z', 'succeeded', 2.5, 5), // today
        job('2026-03-14T00:00:00.000Z', 'running', 1, 4), // today, live: 1 billed + 3 unspent
        job('2026-03-13T23:59:59.999Z', 'failed', 7, 10), // this month, not today
        job('2026-02-28T12:00:00.000Z', 'succeeded', 100, 100), // last month
        live,
        live, // listed twice (by month and as live): counted once
        job('2026-03-14T09:30:00.000Z', 'queued', 0, 6), // today, queued: 6 unspent
        job('2026-03-14T09:40:00.000Z', 'collecting', 5.5, 5), // over its budget: nothing unspent
      ],
      now,
    );
    expect(usage.billedUsd.day).toBeCloseTo(2.5 + 1 + 0 + 5.5);
    expect(usage.billedUsd.month).toBeCloseTo(2.5 + 1 + 7 + 5.5);
    expect(usage.unspentUsd).toBeCloseTo(3 + 7 + 6);
    expect(usage.liveJobs).toBe(4);
  });
});

describe('tenant admission', () => {
  it('refuses a budget or a price above the per-job limits, with the numbers', () => {
    const budget = perJobRefusal('ci', { maxJobBudgetUsd: 20 }, { budgetUsd: 25, maxPricePerHourUsd: 1 });
    expect(budget?.code).toBe('TENANT_JOB_BUDGET_LIMIT');
    expect(budget?.message).toBe('budgetUsd $25.00 is above maxJobBudgetUsd $20.00 of tenant "ci"');
    expect(budget?.details).toEqual({ tenant: 'ci', limit: 'maxJobBudgetUsd', limitUsd: 20, budgetUsd: 25 });
    const price = perJobRefusal(
      'ci',
      { maxPricePerHourUsd: 0.5 },
      { budgetUsd: 1, maxPricePerHourUsd: 0.75 },
    );
    expect(price?.code).toBe('TENANT_PRICE_LIMIT');
    expect(price?.status).toBe(403);
    expect(price?.message).toContain('$0.75 is above maxPricePerHourUsd $0.50');
    expect(
      perJobRefusal('ci', { maxJobBudgetUsd: 20 }, { budgetUsd: 20, maxPricePerHourUsd: 99 }),
    ).toBeUndefined();
  });

  it('refuses a submit that would pass a spend cap, the daily one first', () => {
    const usage = { billedUsd: { day: 40, month: 900 }, unspentUsd: 8, liveJobs: 2 };
    const daily = spendRefusal('ci', { dailySpendUsd: 50, monthlySpendUsd: 1000 }, 5, usage, now);
    expect(daily?.code).toBe('TENANT_DAILY_SPEND_CAP');
    expect(daily?.message).toBe(
      'dailySpendUsd $50.00 of tenant "ci" would be passed: budget $5.00 + billed this UTC day $40.00 + unspent budgets of 2 live job(s) $8.00 = $53.00',
    );
    expect(daily?.details).toMatchObject({ period: '2026-03-14', totalUsd: 53, limitUsd: 50 });
    const monthly = spendRefusal('ci', { dailySpendUsd: 60, monthlySpendUsd: 910 }, 5, usage, now);
    expect(monthly?.code).toBe('TENANT_MONTHLY_SPEND_CAP');
    expect(monthly?.details).toMatchObject({ period: '2026-03', billedUsd: 900, totalUsd: 913 });
    // Exactly at the cap fits, even with float sums.
    const exact = { billedUsd: { day: 0.1 + 0.2, month: 0.3 }, unspentUsd: 0, liveJobs: 0 };
    expect(spendRefusal('ci', { dailySpendUsd: 0.4 }, 0.1, exact, now)).toBeUndefined();
  });

  it('refuses with 429 when the queue holds maxQueuedJobs', () => {
    expect(queueRefusal('ci', { maxQueuedJobs: 3 }, 2)).toBeUndefined();
    const full = queueRefusal('ci', { maxQueuedJobs: 3 }, 3);
    expect(full?.code).toBe('TENANT_QUEUE_FULL');
    expect(full?.status).toBe(429);
    expect(full?.details).toEqual({ tenant: 'ci', limit: 'maxQueuedJobs', maxQueuedJobs: 3, queuedJobs: 3 });
  });

  it('shows money in cents, or more digits when it has them', () => {
    expect([usd(12.5), usd(0.0125), usd(3), usd(0.123), usd(1e6)]).toEqual([
      '$12.50',
      '$0.0125',
      '$3.00',
      '$0.123',
      '$1000000.00',
    ]);
  });
});

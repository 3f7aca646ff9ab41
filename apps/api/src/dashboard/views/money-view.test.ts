import type { JobRecord } from '@clore-batch/shared';
import { describe, expect, it } from 'vitest';
import { spentSince, startOfUtcDay, summariseMoney } from './money-view';

const attempt = (startedAt: string, spentUsd: number, endedAt?: string) => ({
  n: 1,
  serverId: 1,
  gpu: 'RTX 4090',
  pricePerHourUsd: 1,
  currency: 'USD-Blockchain' as const,
  startedAt,
  spentUsd,
  ...(endedAt === undefined ? {} : { endedAt }),
});

function job(
  owner: string,
  state: JobRecord['state'],
  attempts: ReturnType<typeof attempt>[],
  extra: Partial<JobRecord> = {},
) {
  return {
    id: `job-${Math.random()}`,
    owner,
    state,
    attempts,
    costUsd: attempts.reduce((a, x) => a + x.spentUsd, 0),
    spec: { budgetUsd: 10 },
    ...extra,
  } as unknown as JobRecord;
}

describe('money view', () => {
  const now = new Date('2026-11-24T12:00:00.000Z');
  const day = startOfUtcDay(now).getTime();

  it('shares an attempt that crossed midnight out by the time it ran on each side', () => {
    const crossed = job('a', 'succeeded', [
      attempt('2026-11-23T23:00:00.000Z', 2, '2026-11-24T01:00:00.000Z'),
    ]);
    expect(spentSince(crossed, day, now.getTime())).toBeCloseTo(1, 9);
    const yesterday = job('a', 'succeeded', [
      attempt('2026-11-23T10:00:00.000Z', 5, '2026-11-23T11:00:00.000Z'),
    ]);
    expect(spentSince(yesterday, day, now.getTime())).toBe(0);
    const live = job('a', 'running', [attempt('2026-11-24T11:00:00.000Z', 0.7)]);
    expect(spentSince(live, day, now.getTime())).toBeCloseTo(0.7, 9);
  });

  it('sums per owner, live budgets, and budget_exceeded failures, biggest spender first', () => {
    const view = summariseMoney(
      [
        job('a', 'running', [attempt('2026-11-24T11:00:00.000Z', 1)]),
        job('b', 'failed', [attempt('2026-11-23T10:00:00.000Z', 4, '2026-11-23T11:00:00.000Z')], {
          reason: 'budget_exceeded',
        }),
        job('a', 'queued', []),
      ],
      now,
    );
    expect(view.owners.map((o) => o.owner)).toEqual(['b', 'a']);
    expect(view.owners[1]).toMatchObject({
      jobs: 2,
      liveJobs: 2,
      totalUsd: 1,
      todayUsd: 1,
      liveBudgetUsd: 20,
      liveSpentUsd: 1,
    });
    expect(view.owners[0]).toMatchObject({
      jobs: 1,
      liveJobs: 0,
      totalUsd: 4,
      todayUsd: 0,
      budgetExceeded: 1,
    });
    expect(view.totals).toEqual({ totalUsd: 5, todayUsd: 1, liveBudgetUsd: 20, liveSpentUsd: 1 });
    expect(view.dayStart).toBe('2026-11-24T00:00:00.000Z');
  });
});

/**
 * Redis refusing writes (OOM) for 5 s across the moment the budget is reached. The budget watch
 * decides on time from what it knows (the spend projected at the known rate), but ending the attempt
 * needs Redis writes (the decision is persisted first, the cancel is a request in Redis for the
 * leader's sender): until Redis takes writes again, and until the job driver's next round after
 * that (1 s, 2 s, 4 s backoff), the order keeps billing. The invariant: billed (spend + fees)
 * <= budget + one check interval of the hourly price.
 *
 * It failed on the code of 2026-12-06 before decision 0124 (billed $0.68 against a bound of $0.53:
 * the cancel went out about 7.6 s after the decision); a money stop whose decision cannot be stored
 * now cancels its order straight at the provider.
 */
import { describe, expect } from 'vitest';
import { chaosTest } from './chaos-fixture';
import {
  BUDGET_CLOCK_SPEED,
  BUDGETED_JOB,
  billOf,
  CHECK_INTERVAL_SIM_HOURS,
  refuseWritesAfterNextSnapshot,
  report,
  startMoneyCase,
  waitForPoint,
} from './chaos-kit';

const test = chaosTest();

const REFUSED_MS = 5_000;

describe('money safety when Redis refuses writes', () => {
  test('Redis refusing writes (OOM) for 5 s across the budget decision: the order is still stopped within the budget', async ({
    chaos,
  }) => {
    const started = Date.now();
    const k = await chaos.start({ noWorker: true, sim: { clockSpeed: BUDGET_CLOCK_SPEED } });
    const w = chaos.worker({ LOG_LEVEL: 'info' });
    const money = await startMoneyCase(k, [BUDGETED_JOB]);
    const { since, job } = money;
    const { budgetUsd } = BUDGETED_JOB;
    const first = await waitForPoint(
      k,
      job.id,
      'a verified spend',
      (j) => (j.attempts[0]?.spentUsd ?? 0) > 0.105,
      w,
    );
    // Real seconds to the budget at the booked rate: Redis refuses writes from about 2.5 s before it.
    const usdPerSecond = ((first.attempts[0]?.pricePerHourUsd ?? 1) * BUDGET_CLOCK_SPEED) / 3_600;
    await waitForPoint(
      k,
      job.id,
      'near the budget',
      (j) => (j.attempts[0]?.spentUsd ?? 0) > budgetUsd - usdPerSecond * 2.5,
      w,
      60_000,
    );
    const refusedMs = await refuseWritesAfterNextSnapshot(k, REFUSED_MS);
    expect(refusedMs).toBeGreaterThan(0);
    const result = await money.check(w);
    const done = await k.store.get(job.id);
    const bill = await billOf(k, since, budgetUsd, CHECK_INTERVAL_SIM_HOURS);
    const log = w.output();
    const decidedAt = /"time":"([^"]+)"[^\n]*"msg":"spent \$[\d.]+ of the \$[\d.]+ budget/.exec(log)?.[1];
    const cancelledAt = /"time":"([^"]+)"[^\n]*"msg":"cancel_orders sent/.exec(log)?.[1];
    const cancelLagSeconds =
      decidedAt === undefined || cancelledAt === undefined
        ? undefined
        : Math.round((Date.parse(cancelledAt) - Date.parse(decidedAt)) / 100) / 10;
    report('money: Redis refusing writes across the budget decision', {
      ...result,
      reason: done.reason,
      refusedSeconds: Math.round(refusedMs / 100) / 10,
      cancelLagSeconds,
      budgetUsd,
      billedUsd: Number(bill.billedUsd.toFixed(4)),
      boundUsd: Number(bill.boundUsd.toFixed(4)),
      shownUsd: Number(done.costUsd.toFixed(4)),
      seconds: Math.round((Date.now() - started) / 1000),
    });
    expect(done.reason).toBe('budget_exceeded');
    expect(
      bill.billedUsd,
      `the order billed on while Redis refused writes\n${log.slice(-20_000)}`,
    ).toBeLessThanOrEqual(bill.boundUsd);
  }, 120_000);
});

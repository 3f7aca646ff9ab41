import { type RedisHandle, startRedis, waitFor } from '@clore-batch/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Kit, startKit, waitForBullSettled } from './support/e2e-kit';

let redis: RedisHandle;
let kit: Kit | undefined;

beforeAll(async () => {
  redis = await startRedis({ private: true });
});
afterAll(async () => {
  await redis.stop();
});
afterEach(async () => {
  await kit?.close();
  kit = undefined;
});

async function logText(k: Kit, id: string): Promise<string> {
  return (await k.store.readLog(id)).toString();
}

describe('stopping a job: cancel, timeout, budget', () => {
  it('cancel while provisioning releases the ordered server and ends cancelled', async () => {
    kit = await startKit(redis.url, { sim: { provisioningMs: [4_000, 4_000] } });
    const job = await kit.submit({ command: 'echo never' });
    const ordered = await kit.waitFor(job.id, (j) => j.attempts[0]?.orderId !== undefined);
    expect(ordered.state).toBe('provisioning');
    await kit.store.requestCancel(job.id);
    const done = await kit.waitDone(job.id);
    expect(done.state).toBe('cancelled');
    expect(done.attempts[0]?.endReason).toBe('cancelled');
    expect(done.attempts[0]?.endedAt).toBeDefined();
    await kit.noActiveOrders();
    expect((await kit.orders()).map((o) => o.endReason)).toEqual(['cancelled']);
    const bull = await waitForBullSettled(kit, job.id);
    expect(bull).toMatchObject({ state: 'failed', attemptsMade: 1 });
    expect(bull.failedReason).toMatch(/^cancelled/);
  });

  it('cancel while still looking for a server ends cancelled at once, with nothing ordered', async () => {
    kit = await startKit(redis.url, { env: { PROVISION_TIMEOUT_SECONDS: '60' } });
    const job = await kit.submit({ gpu: { model: 'Imaginary GPU 9000' } });
    await kit.waitFor(job.id, ['provisioning']);
    const began = Date.now();
    await kit.store.requestCancel(job.id);
    const done = await kit.waitDone(job.id);
    expect(done.state).toBe('cancelled');
    expect(Date.now() - began).toBeLessThan(5_000);
    expect(done.attempts).toHaveLength(0);
    expect(await kit.orders()).toHaveLength(0);
  });

  it('cancel while running stops the command, keeps its output, releases the server', async () => {
    kit = await startKit(redis.url);
    const job = await kit.submit({ command: 'echo started; sleep 60; echo never' });
    await waitFor(async () => (await logText(kit as Kit, job.id)).includes('started'), { timeoutMs: 20_000 });
    const began = Date.now();
    await kit.store.requestCancel(job.id);
    const done = await kit.waitDone(job.id);
    expect(done.state).toBe('cancelled');
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(await logText(kit, job.id)).toBe('started\n');
    expect(done.attempts[0]?.endReason).toBe('cancelled');
    await kit.noActiveOrders();
  });

  it('timeoutSeconds kills the command: failed with reason timeout, output kept, server released', async () => {
    kit = await startKit(redis.url);
    const job = await kit.submit({ command: 'echo begin; sleep 30; echo never', timeoutSeconds: 2 });
    const done = await kit.waitDone(job.id);
    expect(done.state).toBe('failed');
    expect(done.reason).toBe('timeout');
    expect(done.exitCode).not.toBe(0);
    expect(done.attempts).toHaveLength(1);
    expect(done.attempts[0]?.endReason).toBe('timeout');
    expect(await logText(kit, job.id)).toBe('begin\n');
    await kit.noActiveOrders();
  });

  it('stops the job before the provider bill passes budgetUsd (budget_exceeded)', async () => {
    // 1 real second bills 10 minutes: the budget is reached in seconds.
    kit = await startKit(redis.url, { sim: { clockSpeed: 600 } });
    const budgetUsd = 0.5;
    const job = await kit.submit({ command: 'echo spending; sleep 120', budgetUsd, maxPricePerHourUsd: 1 });
    const done = await kit.waitDone(job.id, 60_000);
    expect(done.state).toBe('failed');
    expect(done.reason).toBe('budget_exceeded');
    expect(done.attempts).toHaveLength(1);
    expect(done.attempts[0]?.endReason).toBe('budget_exceeded');
    await kit.noActiveOrders();
    const [order] = await kit.orders();
    const billed = (order?.spend ?? 0) + (order?.creationFee ?? 0);
    expect(done.costUsd).toBeCloseTo(billed, 4);
    expect(billed).toBeGreaterThan(0);
    // The release takes a cancel round trip after the stop, so a little more than the projection
    // can be billed; the check must not let it run far past the budget.
    expect(billed).toBeLessThan(budgetUsd * 1.1);
  }, 90_000);

  it('rents nothing when the creation fee alone would pass the budget (budget_exceeded)', async () => {
    kit = await startKit(redis.url);
    const job = await kit.submit({ command: 'echo never', budgetUsd: 0.001, maxPricePerHourUsd: 3 });
    const done = await kit.waitDone(job.id);
    expect(done.state).toBe('failed');
    expect(done.reason).toBe('budget_exceeded');
    expect(done.message).toMatch(/costs more to start/);
    // The refusal states the estimate it used (fee + billing until the first check) and what is left.
    // The worker reads the provider's creation fee (renter_fees): 0.10 USD in the simulator.
    expect(done.message).toMatch(
      /the cheapest: at least \$[\d.]+: creation fee \$0\.1000 \(the provider's\)/,
    );
    expect(done.message).toMatch(/\+ \$[\d.]+ of billing until the first budget check/);
    expect(done.message).toMatch(/\$0\.0010 left of the \$0\.001 budget/);
    expect(done.attempts).toHaveLength(0);
    expect(done.costUsd).toBe(0);
    expect(await kit.orders()).toEqual([]);
  });
});

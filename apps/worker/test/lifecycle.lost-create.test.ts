import { fleetKeys } from '@clore-batch/shared';
import { type RedisHandle, startRedis, waitFor } from '@clore-batch/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OrphanRecord } from '../src/fleet/reaper';
import { type Kit, startKit } from './support/e2e-kit';

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

async function createCalls(k: Kit): Promise<number> {
  const answer = await fetch(`${k.sim.url}/_sim/calls?endpoint=create_order`);
  return ((await answer.json()) as { calls: unknown[] }).calls.length;
}

describe('a lost create_order whose order shows up only after the look-up window (docs/decisions/0054)', () => {
  it('the job moves on to another server and succeeds; the stray order is reaped, not left billing', async () => {
    // The look-up outlasts the Clore client's own my_orders retries (up to ~4 s of backoff), so the
    // order of the next server is found in time once my_orders answers again.
    // freshSnapshotWaitMs short: while my_orders keeps failing, the worker stops waiting for a snapshot
    // that could show the lost order and moves on, keeping the intent (docs/decisions/0054).
    kit = await startKit(redis.url, { settings: { orderLookupMs: 6_000, freshSnapshotWaitMs: 1_000 } });
    const k = kit;
    // The first create_order makes its order but the answer is lost, and my_orders fails while the
    // worker looks for it: the order is invisible until the attempt has moved on.
    k.sim.setFaults({ endpoints: { create_order: { lostResponse: 1 }, my_orders: { http500: 1 } } });
    const job = await k.submit({ command: 'echo finished' });
    await waitFor(async () => (await createCalls(k)) >= 1, { message: 'the first create_order' });
    k.sim.setFaults({ endpoints: { my_orders: { http500: 1 } } });
    const [stray] = await k.activeOrders();
    expect(stray).toBeDefined();
    const strayServer = stray?.serverId as number;
    // The retry on the same server is refused (it is rented now: by the lost order); only then
    // does the order book come back.
    await waitFor(async () => (await createCalls(k)) >= 2, { message: 'the retried create_order' });
    k.sim.setFaults({});

    const done = await k.waitDone(job.id);
    expect(done.state).toBe('succeeded');
    expect(done.attempts).toHaveLength(1);
    expect(done.attempts[0]?.serverId).not.toBe(strayServer);
    expect(done.attempts[0]?.orderId).not.toBe(stray?.id);
    expect((await k.store.readLog(job.id)).toString()).toBe('finished\n');

    // The reaper cancels the stray order (its attempt is bound to another order), and every intent
    // is gone once both orders ended.
    await k.noActiveOrders();
    const orders = await k.orders();
    expect(orders).toHaveLength(2);
    expect(orders.find((o) => o.id === stray?.id)).toMatchObject({ active: false, endReason: 'cancelled' });
    const keys = fleetKeys(k.prefix);
    const orphans = Object.values(await k.redis.hgetall(keys.orphans)).map(
      (r) => JSON.parse(r) as OrphanRecord,
    );
    expect(orphans).toEqual([
      expect.objectContaining({
        orderId: stray?.id,
        jobId: job.id,
        attempt: 1,
        reapedAt: expect.any(Number),
      }),
    ]);
    expect(await k.redis.hlen(keys.foreignOrders)).toBe(0);
    await waitFor(async () => (await k.worker?.fleet.intents.list())?.length === 0, {
      timeoutMs: 10_000,
      message: 'every intent pruned',
    });
    // The stray order was billed all the same (spend + creation fee): the job's cost counts it
    // (clore-api.md Part A 11, docs/decisions/0123).
    const strayBill = await waitFor(
      async () => {
        const final = (await k.orders()).find((o) => o.id === stray?.id);
        const counted = (await k.store.get(job.id)).strayOrders?.find((s) => s.orderId === stray?.id);
        return counted === undefined || final === undefined ? undefined : { final, counted };
      },
      { timeoutMs: 10_000, message: "the stray order's bill counted in the job" },
    );
    const billed = strayBill.final.spend + strayBill.final.creationFee;
    expect(strayBill.counted).toMatchObject({ serverId: strayServer, attempt: 1 });
    expect(Math.abs(strayBill.counted.costUsd - billed)).toBeLessThan(billed * 0.01);
    const after = await k.store.get(job.id);
    const attemptsCost = after.attempts.reduce((sum, a) => sum + a.spentUsd, 0);
    expect(after.costUsd).toBeCloseTo(attemptsCost + strayBill.counted.costUsd, 6);
    // The user pays both orders: the job's cost, which the budget checks, says so (within 1 %).
    const allBilled = (await k.orders()).reduce((sum, o) => sum + o.spend + o.creationFee, 0);
    expect(Math.abs(after.costUsd - allBilled) / allBilled).toBeLessThan(0.01);
    expect(after.events.map((e) => e.message).join('\n')).toMatch(/was cancelled by the reaper; its bill/);
  });

  it('a look-up window too short to see the order waits for a fresh snapshot: one order, not two', async () => {
    // 1 ms cannot see the order (polls are 200 ms apart); "no order" is only believed from a poll
    // that began after the look-up did, so the lost order is found and adopted.
    kit = await startKit(redis.url, { settings: { orderLookupMs: 1 } });
    const k = kit;
    // Every call takes 600 ms: the order is made at the end of its create, after the poll in flight began.
    k.sim.setFaults({ latencyMs: [600, 600], endpoints: { create_order: { lostResponse: 1 } } });
    const job = await k.submit({ command: 'echo once' });
    await waitFor(async () => (await k.orders()).length >= 1, { message: 'the first order' });
    const done = await k.waitDone(job.id);
    k.sim.setFaults({});
    expect(done.state).toBe('succeeded');
    expect(done.attempts).toHaveLength(1);
    expect(await createCalls(k)).toBe(1);
    await k.noActiveOrders();
    expect(await k.orders()).toHaveLength(1);
  });
});

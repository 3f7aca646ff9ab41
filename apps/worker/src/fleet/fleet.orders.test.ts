import { waitFor } from '@clore-batch/testing';
import { describe, expect } from 'vitest';
import { fleetTest } from '../../test/support/fleet-fixture';
import { BASE_SETTINGS, rentDirectly } from '../../test/support/fleet-kit';
import type { Fleet } from './create-fleet';

const test = fleetTest();

async function leaderOf(fleets: Fleet[]): Promise<Fleet> {
  return waitFor(() => fleets.find((f) => f.isLeader()), { message: 'a leader' });
}

describe('fleet order watcher and order book', () => {
  test('10 waiters in two fleets share ONE my_orders call per interval', async ({ kit }) => {
    const fleets = [kit.fleet(), kit.fleet()];
    await Promise.all(fleets.map((f) => f.start()));
    await leaderOf(fleets);
    const first = await fleets[0]!.orderBook.next(0);
    const callsBefore = kit.calls('my_orders').length;
    const startedAt = Date.now();
    let version = first.version;
    const versionsSeen = new Set<number>();
    const rounds = 5;
    for (let round = 0; round < rounds; round += 1) {
      const waiters = fleets.flatMap((f) => Array.from({ length: 5 }, () => f.orderBook.next(version)));
      const got = await Promise.all(waiters);
      const versions = new Set(got.map((s) => s.version));
      expect(versions.size).toBe(1);
      version = got[0]!.version;
      versionsSeen.add(version);
    }
    const elapsed = Date.now() - startedAt;
    const calls = kit.calls('my_orders').length - callsBefore;
    // Versions are not steps of one (docs/decisions/0113): count the snapshots stored since `first`.
    expect(versionsSeen.size).toBe(rounds);
    // One call per stored snapshot (the waiters added none), and no more than one per interval.
    expect(fleets.reduce((sum, f) => sum + f.stats().orders.rounds, 0)).toBeGreaterThanOrEqual(calls);
    expect(calls).toBeGreaterThanOrEqual(rounds);
    expect(calls).toBeLessThanOrEqual(Math.ceil(elapsed / BASE_SETTINGS.pollIntervalMs) + 1);
    expect(kit.calls().filter((c) => c.code === 5)).toEqual([]);
    console.warn(
      `fleet.orders: 50 next() waits over ${rounds} rounds in ${elapsed} ms cost ${calls} my_orders call(s) (interval ${BASE_SETTINGS.pollIntervalMs} ms)`,
    );
  });

  test('requestPoll from a follower brings the next poll forward', async ({ kit }) => {
    const settings = { pollIntervalMs: 5_000, pollMinGapMs: 100 };
    const fleets = [kit.fleet({ settings }), kit.fleet({ settings })];
    await Promise.all(fleets.map((f) => f.start()));
    const leader = await leaderOf(fleets);
    const follower = fleets.find((f) => f !== leader)!;
    const first = await follower.orderBook.next(0);
    const asked = Date.now();
    const waiting = follower.orderBook.next(first.version);
    await follower.orderBook.requestPoll();
    const next = await waiting;
    expect(next.version).toBeGreaterThan(first.version);
    expect(Date.now() - asked).toBeLessThan(1_000);
  });

  test('next() is abortable', async ({ kit }) => {
    const fleet = kit.fleet({ settings: { pollIntervalMs: 5_000 } });
    await fleet.start();
    const first = await fleet.orderBook.next(0);
    const controller = new AbortController();
    const waiting = fleet.orderBook.next(first.version, controller.signal);
    controller.abort(new Error('job cancelled'));
    await expect(waiting).rejects.toThrow('job cancelled');
  });

  test('Clore errors keep the last snapshot and the loop goes on', async ({ kit }) => {
    const fleet = kit.fleet();
    await fleet.start();
    await fleet.orderBook.next(0);
    kit.sim.setFaults({ endpoints: { my_orders: { http500: 1 } } });
    await waitFor(() => fleet.stats().orders.failures >= 2, { message: 'two failed polls' });
    const stuck = (await fleet.orderBook.current())!.version;
    const failures = fleet.stats().orders.failures;
    await waitFor(() => fleet.stats().orders.failures >= failures + 1, { message: 'one more failed poll' });
    // Failed polls store nothing: the snapshot is the one before.
    expect((await fleet.orderBook.current())!.version).toBe(stuck);
    kit.sim.setFaults({});
    const after = await fleet.orderBook.next(stuck);
    expect(after.version).toBeGreaterThan(stuck);
    expect(fleet.isLeader()).toBe(true);
  });

  test('an order that ends on its own moves to `ended` with its final figures', async ({ kit }) => {
    const fleet = kit.fleet();
    await fleet.start();
    const orderId = await rentDirectly(kit.client(), kit.freshServer().id);
    const seen = await waitFor(async () => {
      const s = await fleet.orderBook.current();
      return s?.orders.some((o) => o.id === orderId) ? s : undefined;
    });
    expect(seen.orders.find((o) => o.id === orderId)?.active).toBe(true);
    kit.sim.outbid(orderId);
    const ended = await waitFor(async () => {
      const s = await fleet.orderBook.current();
      const order = s?.ended.find((o) => o.id === orderId);
      // The final figures come from a return_completed poll: the simulator's endedAt-based spend.
      return order?.expired && s?.orders.every((o) => o.id !== orderId) ? order : undefined;
    });
    const simOrder = kit.sim.orders().find((o) => o.id === orderId)!;
    expect(ended.active).toBe(false);
    expect(ended.spend).toBeCloseTo(simOrder.spend, 10);
  });
});

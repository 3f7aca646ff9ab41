import { fleetKeys } from '@clore-batch/shared';
import { waitFor } from '@clore-batch/testing';
import { describe, expect } from 'vitest';
import { fleetTest } from '../../test/support/fleet-fixture';
import type { CancelInfo } from './cancel-queue';
import type { Fleet } from './create-fleet';

const test = fleetTest();

describe('fleet releases (batched cancels, confirmed by the watcher)', () => {
  test('5 releases requested together go in ONE cancel_orders call and all 5 orders end', async ({ kit }) => {
    const ids = await kit.rentFresh(5);
    const fleets = [kit.fleet(), kit.fleet()];
    await Promise.all(fleets.map((f) => f.start()));
    const follower: Fleet = await waitFor(() =>
      fleets.find((f) => !f.isLeader() && fleets.some((g) => g.isLeader())),
    );
    await follower.orderBook.next(0);
    const requested = Date.now();
    await Promise.all(ids.map((id) => follower.releases.request(id, { jobId: `job-${id}`, reason: 'done' })));
    const ended = await Promise.all(ids.map((id) => follower.releases.waitEnded(id)));
    const tookMs = Date.now() - requested;
    expect(kit.calls('cancel_orders')).toHaveLength(1);
    expect(kit.calls('cancel_order')).toHaveLength(0);
    expect(ids.map((id) => kit.simOrder(id).active)).toEqual([false, false, false, false, false]);
    expect(
      kit.sim
        .orders()
        .filter((o) => ids.includes(o.id))
        .map((o) => o.endReason),
    ).toEqual(Array(5).fill('cancelled'));
    // waitEnded gives the final figures (a return_completed poll) of every order.
    for (const [index, order] of ended.entries()) {
      expect(order?.id).toBe(ids[index]);
      expect(order?.expired).toBe(true);
      expect(order?.spend).toBeCloseTo(kit.sim.orders().find((o) => o.id === ids[index])!.spend, 10);
    }
    // The queue is empty once the watcher confirmed every end.
    const keys = fleetKeys(kit.prefix);
    await waitFor(
      async () => (await kit.db.zcard(keys.cancels)) === 0 && (await kit.db.hlen(keys.cancelInfo)) === 0,
    );
    expect(kit.calls().filter((c) => c.code === 5)).toEqual([]);
    console.warn(
      `fleet.releases: 5 releases confirmed ended ${tookMs} ms after the request, 1 cancel_orders call`,
    );
  });

  test('waitEnded resolves only after the order has ended, even for an order no snapshot has seen yet', async ({
    kit,
  }) => {
    const fleet = kit.fleet({ settings: { pollIntervalMs: 300 } });
    await fleet.start();
    await fleet.orderBook.next(0);
    // Created right now: the latest snapshot cannot list it.
    const [id] = await kit.rentFresh(1);
    const done = fleet.releases.waitEnded(id!);
    let resolved = false;
    void done.then(() => {
      resolved = true;
    });
    // Two more polls see it active: waitEnded must still be waiting.
    const first = (await fleet.orderBook.current())!;
    const later = await fleet.orderBook.next(first.version + 1);
    expect(later.orders.some((o) => o.id === id)).toBe(true);
    expect(resolved).toBe(false);
    await fleet.releases.request(id!, { reason: 'test' });
    const order = await done;
    expect(kit.simOrder(id!).active).toBe(false);
    expect(order?.id).toBe(id);
  });

  test('a cancel that fails is retried with growing backoff until the order ends', async ({ kit }) => {
    const [id] = await kit.rentFresh(1);
    const fleet = kit.fleet({ settings: { cancelRetryBaseMs: 100, cancelRetryMaxMs: 400 } });
    await fleet.start();
    await fleet.orderBook.next(0);
    kit.sim.setFaults({ endpoints: { cancel_orders: { http500: 1 } } });
    await fleet.releases.request(id!, { jobId: 'job-x', reason: 'done' });
    await waitFor(() => kit.calls('cancel_orders').length >= 4, { message: '4 failed cancel attempts' });
    const info = JSON.parse((await kit.db.hget(fleetKeys(kit.prefix).cancelInfo, String(id)))!) as CancelInfo;
    expect(info.sends).toBeGreaterThanOrEqual(3);
    const at = kit.calls('cancel_orders').map((c) => c.at);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    // 100, 200, 400 (capped): each gap at least the backoff it follows.
    expect(gaps[0]).toBeGreaterThanOrEqual(95);
    expect(gaps[1]).toBeGreaterThanOrEqual(195);
    expect(gaps[2]).toBeGreaterThanOrEqual(395);
    console.warn(
      `fleet.releases: failing cancel_orders retried after ${gaps.map((g) => Math.round(g)).join(', ')} ms`,
    );
    expect(kit.simOrder(id!).active).toBe(true);
    kit.sim.setFaults({});
    await fleet.releases.waitEnded(id!);
    expect(kit.simOrder(id!).active).toBe(false);
  });

  test('a release requested while no leader runs is sent by the next leader', async ({ kit }) => {
    const [id] = await kit.rentFresh(1);
    const a = kit.fleet();
    await a.start();
    await a.orderBook.next(0);
    await a.stop();
    // Requested twice (by a stopped process, then by another): still one cancel_orders call.
    await a.releases.request(id!, { reason: 'done' });
    const b = kit.fleet();
    await b.releases.request(id!, { reason: 'done' });
    expect(kit.calls('cancel_orders')).toHaveLength(0);
    await b.start();
    await b.releases.waitEnded(id!);
    expect(kit.simOrder(id!).active).toBe(false);
    expect(kit.calls('cancel_orders')).toHaveLength(1);
  });
});

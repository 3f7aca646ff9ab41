import type { CloreClient } from '@clore-batch/clore';
import { fleetKeys } from '@clore-batch/shared';
import { waitFor } from '@clore-batch/testing';
import { describe, expect } from 'vitest';
import { fleetTest } from '../../test/support/fleet-fixture';
import { API_KEY, answersShort, rentDirectly } from '../../test/support/fleet-kit';
import type { Fleet } from './create-fleet';
import type { OrdersSnapshot } from './fleet-types';
import { endedIn } from './orders-snapshot';
import type { ForeignOrderRecord } from './reaper';

const test = fleetTest();

/**
 * Money safety of the fleet (issue 13, clore-api.md Part A 7, 16, 18): an order ends only on
 * evidence, intents match orders without any clock agreeing, versions survive a Redis loss, and the
 * exclusive-key mode reaps what no live attempt owns.
 */
describe('fleet: evidence, clocks, versions', () => {
  /** Wait (on the order book, no sleep) for a snapshot whose poll began `ms` after the current one's. */
  async function pollsFor(fleet: Fleet, ms: number): Promise<void> {
    const from = (await fleet.orderBook.next(0)).startedAt!;
    let s = await fleet.orderBook.next(0);
    while (s.startedAt! < from + ms) {
      s = await fleet.orderBook.next(s.version);
    }
  }
  const inEnded = (s: OrdersSnapshot, id: number) => s.ended.some((o) => o.id === id);

  test('short my_orders answers never end a running order; a cancel requested meanwhile is sent', async ({
    kit,
  }) => {
    const short = answersShort();
    const fleet = kit.fleet({ wrapClient: short.wrap });
    const id = await rentDirectly(kit.client(), kit.freshServer().id);
    await fleet.start();
    const first = await waitFor(async () => {
      const s = await fleet.orderBook.next(0);
      return s.orders.some((o) => o.id === id) ? s : undefined;
    });
    let resolved = false;
    void fleet.releases.waitEnded(id).then(() => {
      resolved = true;
    });
    short.emptyNext(4);
    // Four empty answers (a plain one, then returnCompleted ones): the order is missing, not ended.
    let snapshot = first;
    for (let i = 0; i < 4; i += 1) {
      snapshot = await fleet.orderBook.next(snapshot.version);
      expect(inEnded(snapshot, id)).toBe(false);
    }
    expect(resolved).toBe(false);
    // The provider answers right again: the order is active, as it always was.
    snapshot = await waitFor(async () => {
      const s = await fleet.orderBook.next(snapshot.version);
      return s.orders.some((o) => o.id === id && o.active) ? s : undefined;
    });
    expect(inEnded(snapshot, id)).toBe(false);
    expect(kit.simOrder(id).active).toBe(true);
    // A release asked while the answers are empty again: the cancel is sent (never dropped unsent).
    short.emptyNext(6);
    await fleet.releases.request(id, { jobId: 'job-short', reason: 'done' });
    await waitFor(() => !kit.simOrder(id).active, { timeoutMs: 10_000, message: 'the cancel was sent' });
    expect(kit.calls('cancel_orders').length).toBeGreaterThanOrEqual(1);
    await fleet.releases.waitEnded(id, AbortSignal.timeout(15_000));
    const keys = fleetKeys(kit.prefix);
    await waitFor(async () => (await kit.db.zcard(keys.cancels)) === 0, { message: 'cancel settled' });
  });

  test('a snapshot version never restarts, even when Redis lost the previous snapshot', async ({ kit }) => {
    const fleet = kit.fleet();
    await fleet.start();
    const before = await fleet.orderBook.next(0);
    const keys = fleetKeys(kit.prefix);
    await kit.db.del(keys.ordersSnapshot);
    const after = await waitFor(async () => {
      const s = await fleet.orderBook.current();
      return s !== undefined ? s : undefined;
    });
    expect(after.version).toBeGreaterThan(before.version);
    // A budget watch waiting for "newer than the version I saw" is served.
    const next = await fleet.orderBook.next(before.version, AbortSignal.timeout(5_000));
    expect(next.version).toBeGreaterThan(before.version);
  });

  test('an unbound intent matches its order whatever the provider clock says (5 min behind, 5 min ahead)', async ({
    kit,
  }) => {
    for (const offsetMs of [-300_000, 300_000]) {
      await kit.reset();
      // The provider's clock (its `ct`) is off; ours and Redis's are not.
      kit.sim.sim.clock.setOffset(offsetMs);
      const fleet = kit.fleet({ liveness: async () => false, settings: { reaperGraceMs: 1_000 } });
      const server = kit.freshServer().id;
      // The lost-create case: the intent is written, the answer to create_order never comes.
      await fleet.intents.record({
        jobId: `job-clock${offsetMs}`,
        attempt: 1,
        serverId: server,
        at: Date.now(),
      });
      const id = await rentDirectly(kit.client(), server);
      await fleet.start();
      // Ours (an intent explains it) and not live: reaped, never recorded as foreign.
      await waitFor(() => !kit.simOrder(id).active, {
        timeoutMs: 10_000,
        message: `reaped (clock ${offsetMs})`,
      });
      expect(await kit.db.hlen(fleetKeys(kit.prefix).foreignOrders)).toBe(0);
      kit.sim.sim.clock.setOffset(0);
    }
  });

  test('an intent whose tries are over no longer explains a later order on its server (someone else rented it)', async ({
    kit,
  }) => {
    const fleet = kit.fleet({
      liveness: async () => false,
      settings: { reaperGraceMs: 1_000, intentMatchWindowMs: 300 },
    });
    const server = kit.freshServer().id;
    await fleet.intents.record({ jobId: 'job-refused', attempt: 1, serverId: server, at: Date.now() });
    await fleet.intents.settle('job-refused', 1, server);
    await fleet.start();
    await pollsFor(fleet, 400);
    // Past the window: another tool on the same key rents the server.
    const other = await rentDirectly(kit.client(), server);
    const keys = fleetKeys(kit.prefix);
    await waitFor(async () => (await kit.db.hget(keys.foreignOrders, String(other))) !== null, {
      message: 'recorded as foreign',
    });
    // Well past the grace: still not reaped.
    await pollsFor(fleet, 2_000);
    expect(kit.simOrder(other).active).toBe(true);
    const record = JSON.parse((await kit.db.hget(keys.foreignOrders, String(other)))!) as ForeignOrderRecord;
    expect(record.serverId).toBe(server);
  });

  test('exclusive-key mode reaps an order no live attempt owns, intent or not; the default mode never does', async ({
    kit,
  }) => {
    const foreign = await rentDirectly(kit.client(), kit.freshServer().id);
    const shared = kit.fleet({ settings: { reaperGraceMs: 1_000 } });
    await shared.start();
    await pollsFor(shared, 2_000);
    expect(kit.simOrder(foreign).active).toBe(true);
    await shared.stop();
    const exclusive = kit.fleet({ settings: { reaperGraceMs: 1_000, exclusiveKey: true } });
    await exclusive.start();
    await waitFor(() => !kit.simOrder(foreign).active, {
      timeoutMs: 10_000,
      message: 'reaped in exclusive mode',
    });
    expect(kit.simOrder(foreign).endReason).toBe('cancelled');
  });

  test('a malformed order never blinds the fleet: the readable ones are stored; an unreadable one of ours is missing, not ended', async ({
    kit,
  }) => {
    const short = answersShort();
    const fleet = kit.fleet({ wrapClient: short.wrap });
    const id = await rentDirectly(kit.client(), kit.freshServer().id);
    // Another tool's order on the key, with `null` in required fields (clore-sim's foreign orders).
    const response = await fetch(`${kit.sim.url}/_sim/keys/${API_KEY}/foreign-orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ nullFields: ['currency', 'price'] }),
    });
    expect(response.ok).toBe(true);
    await fleet.start();
    const first = await waitFor(async () => {
      const s = await fleet.orderBook.next(0);
      return s.orders.some((o) => o.id === id) ? s : undefined;
    });
    expect(fleet.stats().orders.failures).toBe(0);
    let resolved = false;
    void fleet.releases.waitEnded(id).then(() => {
      resolved = true;
    });
    // Our own order unreadable for three answers: missing (last figures kept), never ended.
    short.unreadableNext(3, [id]);
    let s = first;
    for (let i = 0; i < 3; i += 1) {
      s = await fleet.orderBook.next(s.version);
      expect(inEnded(s, id)).toBe(false);
      expect(s.missing?.find((m) => m.id === id)).toMatchObject({ unreadable: true, order: { id } });
    }
    expect(resolved).toBe(false);
    s = await fleet.orderBook.next(s.version);
    expect(s.orders.some((o) => o.id === id)).toBe(true);
    expect(kit.simOrder(id).active).toBe(true);
  });

  test('an order of ours missing for longer than the grace, its attempt not live, gets a cancel; it ends on that evidence', async ({
    kit,
  }) => {
    const short = answersShort();
    const fleet = kit.fleet({ wrapClient: short.wrap, liveness: async () => false });
    const server = kit.freshServer().id;
    await fleet.intents.record({ jobId: 'job-gone', attempt: 1, serverId: server });
    const id = await rentDirectly(kit.client(), server);
    await fleet.intents.bindOrder('job-gone', 1, server, id);
    // From the first answer on, my_orders never lists it again (nor shows it expired).
    short.emptyNext(1_000);
    await fleet.start();
    await waitFor(() => !kit.simOrder(id).active, { timeoutMs: 10_000, message: 'the leader cancelled it' });
    const info = await waitFor(async () => {
      const s = await fleet.orderBook.current();
      return s !== undefined && endedIn(s, id).ended ? s : undefined;
    });
    // Ended only after answers begun after the accepted cancel, and the intent goes only then.
    expect(info.ended.some((o) => o.id === id) || info.endedIds?.includes(id)).toBe(true);
    await waitFor(async () => (await fleet.intents.list()).length === 0, { message: 'intent pruned' });
    expect(kit.calls('cancel_orders').length).toBeGreaterThanOrEqual(1);
  });

  test('a cancel for an order that already ended is settled by cancel_order answering order_not_active', async ({
    kit,
  }) => {
    const short = answersShort();
    const client = kit.client();
    const id = await rentDirectly(client, kit.freshServer().id);
    await client.cancelOrder({ id });
    short.emptyNext(1_000);
    const fleet = kit.fleet({ wrapClient: short.wrap });
    await fleet.start();
    await fleet.releases.request(id, { jobId: 'job-late', reason: 'done' });
    await fleet.releases.waitEnded(id, AbortSignal.timeout(10_000));
    // cancel_orders listed it in failed_to_cancel; cancel_order said why.
    expect(kit.calls('cancel_orders').length).toBeGreaterThanOrEqual(1);
    expect(kit.calls('cancel_order').length).toBeGreaterThanOrEqual(2);
    const keys = fleetKeys(kit.prefix);
    await waitFor(async () => (await kit.db.zcard(keys.cancels)) === 0, { message: 'cancel settled' });
  });

  test('review: an order called ended after our accepted cancel that shows up active again is cancelled again, not left as foreign', async ({
    kit,
  }) => {
    const short = answersShort();
    // cancel_orders answers code 0 (accepted) once without the provider ending the order.
    let lied = false;
    const wrap = (client: CloreClient): CloreClient => {
      const shorted = short.wrap(client);
      return new Proxy(shorted, {
        get(target, property, receiver) {
          if (property === 'cancelOrders') {
            return async (...args: Parameters<CloreClient['cancelOrders']>) => {
              if (!lied) {
                lied = true;
                return { failedIds: [], errors: [] };
              }
              return target.cancelOrders(...args);
            };
          }
          const value = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    };
    const fleet = kit.fleet({ wrapClient: wrap, liveness: async () => false });
    const server = kit.freshServer().id;
    await fleet.intents.record({ jobId: 'job-revived', attempt: 1, serverId: server });
    const id = await rentDirectly(kit.client(), server);
    await fleet.intents.bindOrder('job-revived', 1, server, id);
    await fleet.start();
    await waitFor(async () => (await fleet.orderBook.next(0)).orders.some((o) => o.id === id));
    // Short answers right after the accepted cancel: the order is called ended by absence.
    short.emptyNext(6);
    await fleet.releases.request(id, { jobId: 'job-revived', reason: 'done' });
    await fleet.releases.waitEnded(id, AbortSignal.timeout(15_000));
    expect(kit.simOrder(id).active).toBe(true);
    // The answers are whole again and list it active: it still bills, and it is ours.
    short.emptyNext(0);
    await waitFor(async () => (await fleet.orderBook.next(0)).orders.some((o) => o.id === id), {
      timeoutMs: 20_000,
      message: 'listed active again',
    });
    await waitFor(() => !kit.simOrder(id).active, {
      timeoutMs: 20_000,
      message: 'the order that came back active is cancelled again',
    });
  });

  test('review: a lost create whose order is first seen after a my_orders outage longer than the match window is ours (cancelled once not live), not foreign', async ({
    kit,
  }) => {
    const fleet = kit.fleet({
      liveness: async () => false,
      settings: { reaperGraceMs: 1_000, intentMatchWindowMs: 1_000 },
    });
    const server = kit.freshServer().id;
    await fleet.start();
    await fleet.orderBook.next(0);
    // my_orders fails (HTTP 500): no answer at all, so nothing can be first seen meanwhile.
    kit.sim.setFaults({ endpoints: { my_orders: { http500: 1 } } });
    // A job's create_order makes its order but the answer is lost; the try is over (settled).
    await fleet.intents.record({ jobId: 'job-lost', attempt: 1, serverId: server });
    await kit.client().createOrder({
      serverId: server,
      type: 'on-demand',
      currency: 'USD-Blockchain',
      image: 'ubuntu:22.04',
    });
    await fleet.intents.settle('job-lost', 1, server);
    const id = kit.sim.orders().find((o) => o.serverId === server && o.active)!.id;
    // The outage outlasts the match window (Redis time, the clock the window is measured on).
    const redisNow = async () => Number((await kit.db.time())[0]) * 1_000;
    const settledAt = await redisNow();
    await waitFor(async () => (await redisNow()) > settledAt + 3_000, { timeoutMs: 10_000 });
    kit.sim.setFaults({});
    // Our order, our intent, its attempt not live: it must be cancelled, not called foreign.
    await waitFor(() => !kit.simOrder(id).active, {
      timeoutMs: 15_000,
      message: 'the order of the lost create is reaped after the outage',
    });
  });
});

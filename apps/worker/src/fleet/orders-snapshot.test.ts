import type { Order } from '@clore-batch/clore';
import { describe, expect, it } from 'vitest';
import type { OrdersSnapshot } from './fleet-types';
import { endedIn, nextSnapshot } from './orders-snapshot';

function order(id: number, extra: Partial<Order> = {}): Order {
  return {
    id,
    serverId: id * 10,
    currency: 'USD-Blockchain',
    pricePerDay: 24,
    creationFee: 0.1,
    spend: 1,
    expired: false,
    active: true,
    online: true,
    containerUp: true,
    deployed: true,
    ready: true,
    spot: false,
    ...extra,
  };
}

const expiredOrder = (id: number, spend: number) =>
  order(id, { expired: true, active: false, ready: false, spend });

function snapshot(orders: Order[], ended: Order[] = [], version = 1, startedAt = 1_000): OrdersSnapshot {
  return { version, at: startedAt, startedAt, orders, ended };
}

const base = { pendingCancelIds: new Set<number>(), startedAt: 2_000, at: 2_000 };

describe('nextSnapshot', () => {
  it('counts versions from the previous snapshot and keeps only active orders in `orders`', () => {
    const { snapshot: next } = nextSnapshot({
      ...base,
      previous: snapshot([order(1)], [], 7),
      listed: [order(1), expiredOrder(9, 3)],
      returnCompleted: true,
    });
    expect(next.version).toBe(8);
    expect(next.orders.map((o) => o.id)).toEqual([1]);
    // An expired order nobody was watching is not added to `ended`.
    expect(next.ended).toEqual([]);
    expect(next.startedAt).toBe(2_000);
  });

  it('an order gone from a plain poll is held one poll and asks for its final figures', () => {
    const first = nextSnapshot({
      ...base,
      previous: snapshot([order(1), order(2)]),
      listed: [order(1)],
      returnCompleted: false,
    });
    expect(first.vanishedWithoutFinal).toEqual([2]);
    expect(first.snapshot.orders.map((o) => o.id)).toEqual([1, 2]);
    expect(first.snapshot.ended).toEqual([]);
    const second = nextSnapshot({
      ...base,
      previous: first.snapshot,
      listed: [order(1), expiredOrder(2, 5.5)],
      returnCompleted: true,
    });
    expect(second.vanishedWithoutFinal).toEqual([]);
    expect(second.snapshot.orders.map((o) => o.id)).toEqual([1]);
    expect(second.snapshot.ended).toEqual([expiredOrder(2, 5.5)]);
  });

  it('an order missing even from a returnCompleted answer ends with its last known figures', () => {
    const { snapshot: next } = nextSnapshot({
      ...base,
      previous: snapshot([order(3)]),
      listed: [],
      returnCompleted: true,
    });
    expect(next.ended).toEqual([{ ...order(3), expired: true, active: false, ready: false }]);
  });

  it('a pending cancel that ended before any snapshot saw it still lands in `ended`', () => {
    const { snapshot: next } = nextSnapshot({
      ...base,
      previous: snapshot([]),
      listed: [expiredOrder(4, 0.2)],
      returnCompleted: true,
      pendingCancelIds: new Set([4]),
    });
    expect(next.ended.map((o) => o.id)).toEqual([4]);
  });

  it('fresher final figures replace an ended entry, and `ended` is capped (newest kept)', () => {
    const previous = snapshot([], [expiredOrder(5, 1), expiredOrder(6, 1)]);
    const { snapshot: next } = nextSnapshot({
      ...base,
      previous,
      listed: [expiredOrder(6, 2)],
      returnCompleted: true,
      endedKeep: 1,
    });
    expect(next.ended).toEqual([expiredOrder(6, 2)]);
  });
});

describe('endedIn', () => {
  it('ended when listed as ended', () => {
    expect(endedIn(snapshot([], [expiredOrder(1, 2)]), 1, 5_000)).toEqual({
      ended: true,
      order: expiredOrder(1, 2),
    });
  });
  it('not ended while active', () => {
    expect(endedIn(snapshot([order(1)], [], 1, 9_000), 1, 0)).toEqual({ ended: false });
  });
  it('absent: ended only if the poll started after the order was known to exist', () => {
    expect(endedIn(snapshot([], [], 1, 1_000), 1, 999).ended).toBe(true);
    expect(endedIn(snapshot([], [], 1, 1_000), 1, 1_000).ended).toBe(false);
    expect(endedIn(snapshot([], [], 1, 1_000), 1, 5_000).ended).toBe(false);
    const old: OrdersSnapshot = { version: 1, at: 9_000, orders: [], ended: [] };
    expect(endedIn(old, 1, 0).ended).toBe(false);
  });
});

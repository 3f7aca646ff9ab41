import type { Order } from '@clore-batch/clore';
import { describe, expect, it } from 'vitest';
import { testOrder } from '../../test/support/orders';
import { finalCostUsd } from '../lifecycle/budget';
import type { OrdersSnapshot } from './fleet-types';
import { endedIn, nextSnapshot } from './orders-snapshot';

function order(id: number, extra: Partial<Order> = {}): Order {
  return testOrder({ id, serverId: id * 10, pricePerDay: 24, creationFee: 0.1, spend: 1, ...extra });
}

const expiredOrder = (id: number, spend: number) =>
  order(id, { expired: true, active: false, ready: false, spend });

function snapshot(orders: Order[], ended: Order[] = [], version = 1, startedAt = 1_000): OrdersSnapshot {
  return { version, at: startedAt, startedAt, orders, ended };
}

const base = { pendingCancelIds: new Set<number>(), startedAt: 2_000, at: 2_000 };

describe('nextSnapshot', () => {
  it('versions never restart: max(previous + 1, startedAt); only active orders in `orders`', () => {
    const { snapshot: next } = nextSnapshot({
      ...base,
      previous: snapshot([order(1)], [], 7),
      listed: [order(1), expiredOrder(9, 3)],
      returnCompleted: true,
    });
    expect(next.version).toBe(2_000);
    expect(next.orders.map((o) => o.id)).toEqual([1]);
    // An expired order nobody was watching is not added to `ended`.
    expect(next.ended).toEqual([]);
    expect(next.startedAt).toBe(2_000);
    expect(
      nextSnapshot({ ...base, previous: next, listed: [], returnCompleted: false }).snapshot.version,
    ).toBe(2_001);
    // Redis lost the snapshot: the next one is still newer than any a waiter saw.
    expect(
      nextSnapshot({ ...base, previous: undefined, listed: [], returnCompleted: false }).snapshot.version,
    ).toBe(2_000);
  });

  it('an order absent from answers is missing, never ended, however many answers miss it (no cancel)', () => {
    let previous = snapshot([order(1), order(2)]);
    for (let i = 1; i <= 5; i += 1) {
      const next = nextSnapshot({
        ...base,
        startedAt: 2_000 + i,
        previous,
        listed: [order(1)],
        returnCompleted: i > 1,
      });
      expect(next.snapshot.ended).toEqual([]);
      expect(next.snapshot.orders.map((o) => o.id)).toEqual([1]);
      expect(next.snapshot.missing).toEqual([
        { id: 2, order: order(2), sinceMs: 2_001, misses: i, missesAfterCancel: 0 },
      ]);
      expect(next.wantCompleted).toBe(true);
      expect(next.vanishedWithoutFinal).toEqual(i === 1 ? [2] : []);
      previous = next.snapshot;
    }
    // It comes back: active again, nothing missing.
    const back = nextSnapshot({
      ...base,
      startedAt: 3_000,
      previous,
      listed: [order(1), order(2)],
      returnCompleted: true,
    });
    expect(back.snapshot.orders.map((o) => o.id)).toEqual([1, 2]);
    expect(back.snapshot.missing).toEqual([]);
    expect(back.wantCompleted).toBe(false);
  });

  it('seen expired is evidence: the order ends with its final figures', () => {
    const first = nextSnapshot({
      ...base,
      previous: snapshot([order(1), order(2)]),
      listed: [order(1)],
      returnCompleted: false,
    });
    const second = nextSnapshot({
      ...base,
      previous: first.snapshot,
      listed: [order(1), expiredOrder(2, 5.5)],
      returnCompleted: true,
    });
    expect(second.snapshot.orders.map((o) => o.id)).toEqual([1]);
    expect(second.snapshot.missing).toEqual([]);
    expect(second.snapshot.ended).toEqual([expiredOrder(2, 5.5)]);
  });

  it('absent from 3 answers begun after our cancel was accepted: ended with its last figures but no final spend', () => {
    const accepted = new Map([[3, 2_500]]);
    const pending = new Set([3]);
    let previous = snapshot([order(3)]);
    // An answer whose call began before the acceptance does not count.
    for (const [startedAt, endedNow] of [
      [2_400, false],
      [2_600, false],
      [2_700, false],
      [2_800, true],
    ] as const) {
      const next = nextSnapshot({
        ...base,
        startedAt,
        previous,
        listed: [],
        returnCompleted: true,
        pendingCancelIds: pending,
        cancelAcceptedAt: accepted,
      });
      expect(next.snapshot.ended.map((o) => o.id)).toEqual(endedNow ? [3] : []);
      previous = next.snapshot;
    }
    const { spend: _lastSeen, ...figures } = order(3);
    expect(previous.ended).toEqual([{ ...figures, expired: true, active: false, ready: false }]);
    expect(endedIn(previous, 3).ended).toBe(true);
  });

  it('a cancel answer that proves the end (order_not_active) ends it at once, figures known or not', () => {
    const { snapshot: next } = nextSnapshot({
      ...base,
      previous: snapshot([order(3)]),
      listed: [],
      returnCompleted: true,
      pendingCancelIds: new Set([3, 4]),
      provenEnded: new Set([3, 4]),
    });
    expect(next.ended.map((o) => o.id)).toEqual([3]);
    expect(next.endedIds).toEqual([4]);
    expect(endedIn(next, 4)).toEqual({ ended: true });
  });

  it('an unreadable order of ours is missing (unknown), not ended; the readable ones are stored', () => {
    const { snapshot: next } = nextSnapshot({
      ...base,
      previous: snapshot([order(1), order(2)]),
      listed: [order(1)],
      unreadable: [{ id: 2 }, {}],
      returnCompleted: false,
    });
    expect(next.orders.map((o) => o.id)).toEqual([1]);
    expect(next.missing).toEqual([
      { id: 2, order: order(2), sinceMs: 2_000, misses: 1, missesAfterCancel: 0, unreadable: true },
    ]);
    expect(next.ended).toEqual([]);
  });

  it('records when each order was first listed (Redis time of the answer) and keeps it', () => {
    const first = nextSnapshot({
      ...base,
      answeredAt: 2_100,
      previous: snapshot([]),
      listed: [order(1)],
      returnCompleted: false,
    });
    expect(first.snapshot.firstSeenAt).toEqual({ 1: 2_100 });
    const second = nextSnapshot({
      ...base,
      startedAt: 3_000,
      answeredAt: 3_100,
      previous: first.snapshot,
      listed: [order(1), order(2)],
      returnCompleted: false,
    });
    expect(second.snapshot.firstSeenAt).toEqual({ 1: 2_100, 2: 3_100 });
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

describe('endedIn (evidence only)', () => {
  it('ended when listed as ended', () => {
    expect(endedIn(snapshot([], [expiredOrder(1, 2)]), 1)).toEqual({
      ended: true,
      order: expiredOrder(1, 2),
    });
  });
  it('not ended while active, nor when merely absent', () => {
    expect(endedIn(snapshot([order(1)], [], 1, 9_000), 1)).toEqual({ ended: false });
    expect(endedIn(snapshot([], [], 1, 1_000), 1).ended).toBe(false);
  });
});

describe('an order ended without its final figures (review: stale spend billed as final)', () => {
  it('its last seen spend is not taken as the bill: the final cost covers the time it billed unseen', () => {
    // Last seen at 0.5 h having spent $0.5 (price $1/h, fee $0.1); then missing from the answers
    // until the spend watch gave up and cancelled it; cancel_order answered order_not_active at 2 h.
    const last = order(3, { pricePerDay: 24, spend: 0.5, creationFee: 0.1 });
    const { snapshot: next } = nextSnapshot({
      ...base,
      previous: {
        ...snapshot([], [], 1, 1_000),
        missing: [{ id: 3, order: last, sinceMs: 1_000, misses: 5, missesAfterCancel: 0 }],
      },
      listed: [],
      returnCompleted: true,
      pendingCancelIds: new Set([3]),
      provenEnded: new Set([3]),
    });
    const ended = endedIn(next, 3);
    expect(ended.ended).toBe(true);
    const hour = 3_600_000;
    const cost = finalCostUsd(
      ended.order as Order,
      { 'USD-Blockchain': 1 },
      {
        usdPerHour: 1,
        startedAtMs: 0,
        nowMs: 2 * hour,
        previousUsd: 0.6,
      },
    );
    // It billed for 2 h: about $2.1 with the fee, not the $0.6 last seen.
    expect(cost).toBeGreaterThanOrEqual(2);
  });
});

import type { Order } from '@clore-batch/clore';
import { describe, expect, it } from 'vitest';
import { testOrder } from '../../test/support/orders';
import type { OrdersSnapshot } from '../fleet/fleet-types';
import { findNewOrder, OrderTracker } from './order-views';

function order(id: number, serverId: number, extra: Partial<Order> = {}): Order {
  return testOrder({ id, serverId, ...extra });
}

function snapshot(version: number, at: number, orders: Order[], ended: Order[] = []): OrdersSnapshot {
  return { version, at, orders, ended };
}

describe('OrderTracker (ended only on evidence)', () => {
  it('an order absent from a snapshot is missing with its last figures, never ended', () => {
    const tracker = new OrderTracker(7, 10_000);
    expect(tracker.state(snapshot(1, 1_000, [])).kind).toBe('unknown');
    expect(tracker.state(snapshot(2, 2_000, [order(7, 1)])).kind).toBe('active');
    const missing: OrdersSnapshot = {
      ...snapshot(3, 3_000, []),
      startedAt: 3_000,
      missing: [{ id: 7, order: order(7, 1), sinceMs: 2_900, misses: 1, missesAfterCancel: 0 }],
    };
    expect(tracker.state(missing)).toEqual({ kind: 'missing', order: order(7, 1), sinceMs: 2_900 });
    // Even a snapshot that lost track of it: missing, not ended.
    expect(tracker.state({ ...snapshot(4, 4_000, []), startedAt: 4_000 })).toMatchObject({ kind: 'missing' });
    expect(tracker.state(snapshot(5, 5_000, [order(7, 1)])).kind).toBe('active');
  });

  it('reads the ended list and the proven ids; an order never seen stays unknown past any deadline', () => {
    const tracker = new OrderTracker(7, 10_000);
    const last = order(7, 1, { expired: true, active: false, spend: 3 });
    expect(tracker.state(snapshot(1, 1_000, [], [last]))).toEqual({ kind: 'ended', order: last });
    expect(new OrderTracker(8, 10_000).state(snapshot(5, 10_001, [])).kind).toBe('unknown');
    expect(new OrderTracker(8).state({ ...snapshot(5, 10_001, []), endedIds: [8] })).toEqual({
      kind: 'ended',
    });
  });
});

describe('findNewOrder (Redis first sightings, never the provider clock)', () => {
  it("picks the newest active order on the server first seen after the intent that no other job's intent holds", () => {
    const s: OrdersSnapshot = {
      ...snapshot(1, 0, [
        // ct far off (a provider clock minutes away) plays no part.
        order(1, 5, { createdAt: 1 }),
        order(2, 5, { createdAt: 1 }),
        order(3, 5, { createdAt: 1 }),
        order(4, 6, { createdAt: 1 }),
      ]),
      firstSeenAt: { 1: 900_000, 2: 1_000_500, 3: 1_000_600, 4: 1_000_700 },
    };
    expect(findNewOrder(s, { serverId: 5, notBeforeMs: 1_000_000, exclude: new Set([3]) })?.id).toBe(2);
    expect(findNewOrder(s, { serverId: 5, notBeforeMs: 1_000_700, exclude: new Set() })).toBeUndefined();
    expect(findNewOrder(s, { serverId: 9, notBeforeMs: 0, exclude: new Set() })).toBeUndefined();
  });
});

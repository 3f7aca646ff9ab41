import type { Order } from '@clore-batch/clore';
import { describe, expect, it } from 'vitest';
import type { OrdersSnapshot } from '../fleet/fleet-types';
import { findNewOrder, OrderTracker } from './order-views';

function order(id: number, serverId: number, extra: Partial<Order> = {}): Order {
  return {
    id,
    serverId,
    currency: 'USD-Blockchain',
    pricePerDay: 1,
    creationFee: 0,
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

function snapshot(version: number, at: number, orders: Order[], ended: Order[] = []): OrdersSnapshot {
  return { version, at, orders, ended };
}

describe('OrderTracker', () => {
  it('does not take a snapshot that predates the order for its end', () => {
    const tracker = new OrderTracker(7, 10_000);
    expect(tracker.state(snapshot(1, 1_000, [])).kind).toBe('unknown');
    expect(tracker.state(snapshot(2, 2_000, [order(7, 1)])).kind).toBe('active');
    expect(tracker.state(snapshot(2, 2_000, [])).kind).toBe('unknown');
    expect(tracker.state(snapshot(3, 3_000, [])).kind).toBe('ended');
  });

  it('reads the ended list, and gives up on an order never seen after the deadline', () => {
    const tracker = new OrderTracker(7, 10_000);
    const last = order(7, 1, { expired: true, active: false, spend: 3 });
    expect(tracker.state(snapshot(1, 1_000, [], [last]))).toEqual({ kind: 'ended', order: last });
    expect(new OrderTracker(8, 10_000).state(snapshot(5, 10_001, [])).kind).toBe('ended');
  });
});

describe('findNewOrder', () => {
  it("picks the newest active order on the server that no other job's intent holds", () => {
    const s = snapshot(1, 0, [
      order(1, 5, { createdAt: 1_000 }),
      order(2, 5, { createdAt: 2_000 }),
      order(3, 5, { createdAt: 3_000 }),
      order(4, 6, { createdAt: 3_000 }),
    ]);
    expect(findNewOrder(s, { serverId: 5, notBeforeMs: 1_000_000, exclude: new Set([3]) })?.id).toBe(2);
    expect(findNewOrder(s, { serverId: 5, notBeforeMs: 10_000_000, exclude: new Set() })).toBeUndefined();
    expect(findNewOrder(s, { serverId: 9, notBeforeMs: 0, exclude: new Set() })).toBeUndefined();
  });
});

import type { Order } from '@clore-batch/clore';
import { describe, expect, it } from 'vitest';
import { testOrder } from '../../test/support/orders';
import { explainOrder } from './explain-order';
import type { OrderIntent } from './fleet-types';

const order = (id: number, serverId: number, createdAt?: number): Order =>
  testOrder({ id, serverId, ...(createdAt === undefined ? {} : { createdAt }) });

const intent = (
  jobId: string,
  serverId: number,
  at: number,
  extra: { orderId?: number; settledAt?: number } = {},
): OrderIntent => ({ jobId, attempt: 1, serverId, at, ...extra });

describe('explainOrder (Redis times only: the provider clock and worker clocks play no part)', () => {
  const T = 1_700_000_000_000; // a Redis time, ms
  const WINDOW = 60_000;
  // A provider clock minutes off changes `ct`, which matching ignores.
  const skewed = order(7, 5, Math.floor((T - 300_000) / 1_000));

  it('a bound intent explains its order, whatever the server', () => {
    const bound = intent('a', 99, 0, { orderId: 7 });
    expect(explainOrder(skewed, [intent('b', 5, 0), bound], T, WINDOW)).toBe(bound);
  });

  it('an unbound intent explains an order on its server first seen after it (the latest intent wins)', () => {
    const early = intent('a', 5, T - 2_000);
    const later = intent('b', 5, T - 500);
    expect(explainOrder(skewed, [early, later], T, WINDOW)).toBe(later);
    expect(explainOrder(order(7, 5, Math.floor((T + 300_000) / 1_000)), [early], T, WINDOW)).toBe(early);
  });

  it('not an order first seen before the intent, on another server, or bound elsewhere', () => {
    expect(explainOrder(skewed, [intent('a', 5, T + 1)], T, WINDOW)).toBeUndefined();
    expect(explainOrder(skewed, [intent('a', 6, 0)], T, WINDOW)).toBeUndefined();
    expect(explainOrder(skewed, [intent('a', 5, 0, { orderId: 8 })], T, WINDOW)).toBeUndefined();
  });

  it('an intent whose create returned explains orders first seen only within the window after that', () => {
    const settled = intent('a', 5, T - 100_000, { settledAt: T - 90_000 });
    expect(explainOrder(skewed, [settled], T - 90_000 + WINDOW, WINDOW)).toBe(settled);
    expect(explainOrder(skewed, [settled], T - 90_000 + WINDOW + 1, WINDOW)).toBeUndefined();
    // Still in flight (never settled): no upper bound yet.
    expect(explainOrder(skewed, [intent('b', 5, T - 100_000)], T + 3_600_000, WINDOW)?.jobId).toBe('b');
  });

  it('an order a snapshot has no first sighting for matches only an intent still in flight', () => {
    expect(explainOrder(order(7, 5), [intent('a', 5, T)], undefined, WINDOW)?.jobId).toBe('a');
    expect(
      explainOrder(order(7, 5), [intent('a', 5, T, { settledAt: T })], undefined, WINDOW),
    ).toBeUndefined();
  });
});

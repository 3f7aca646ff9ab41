import type { Order } from '@clore-batch/clore';
import { describe, expect, it } from 'vitest';
import { explainOrder } from './explain-order';
import type { OrderIntent } from './fleet-types';

const order = (id: number, serverId: number, createdAt?: number): Order => ({
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
  ...(createdAt === undefined ? {} : { createdAt }),
});

const intent = (jobId: string, serverId: number, at: number, orderId?: number): OrderIntent => ({
  jobId,
  attempt: 1,
  serverId,
  at,
  ...(orderId === undefined ? {} : { orderId }),
});

describe('explainOrder', () => {
  const created = 1_700_000_000; // unix seconds

  it('a bound intent explains its order, whatever the server', () => {
    const bound = intent('a', 99, 0, 7);
    expect(explainOrder(order(7, 5, created), [intent('b', 5, 0), bound], 0)).toBe(bound);
  });

  it('an unbound intent on the same server written before the creation explains it (lost create)', () => {
    const early = intent('a', 5, created * 1_000 - 2_000);
    const later = intent('b', 5, created * 1_000 - 500);
    expect(explainOrder(order(7, 5, created), [early, later], 0)).toBe(later);
    // ct is whole seconds: an intent written within the creation second still counts.
    const sameSecond = intent('c', 5, created * 1_000 + 900);
    expect(explainOrder(order(7, 5, created), [sameSecond], 0)).toBe(sameSecond);
  });

  it('an intent written after the creation (beyond the slack), or on another server, or bound elsewhere does not', () => {
    expect(
      explainOrder(order(7, 5, created), [intent('a', 5, created * 1_000 + 5_000)], 1_000),
    ).toBeUndefined();
    expect(explainOrder(order(7, 5, created), [intent('a', 6, 0)], 1_000)).toBeUndefined();
    expect(explainOrder(order(7, 5, created), [intent('a', 5, 0, 8)], 1_000)).toBeUndefined();
    expect(explainOrder(order(7, 5, created), [intent('a', 5, created * 1_000 + 5_000)], 10_000)?.jobId).toBe(
      'a',
    );
  });

  it('an order without a creation time matches an unbound intent on its server', () => {
    expect(explainOrder(order(7, 5), [intent('a', 5, Date.now())], 0)?.jobId).toBe('a');
  });
});

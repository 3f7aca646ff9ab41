import type { Order } from '@clore-batch/clore';
import { silentLogger } from '@clore-batch/shared';
import { describe, expect } from 'vitest';
import { storedJob, storeTest } from '../../test/support/store-fixture';
import type { OrphanRecord } from '../fleet/reaper';
import { countStrayOrders } from './stray-orders';

const test = storeTest();

/** An order as the snapshot gives it once ended on evidence without final figures (no `spend`). */
const endedWithoutSpend = (id: number): Order => ({
  id,
  serverId: 7,
  currency: 'USD-Blockchain',
  pricePerDay: 24, // $1/h
  creationFee: 0.1,
  expired: true,
  active: false,
  online: false,
  containerUp: false,
  deployed: false,
  ready: false,
  spot: false,
});

describe('countStrayOrders', () => {
  test('a reaped order that ended without a spend figure is counted at price x the time it was seen, not at its creation fee alone', async ({
    store,
  }) => {
    const job = await storedJob(store, { maxPricePerHourUsd: 2, budgetUsd: 5 });
    const count = countStrayOrders({
      store,
      rates: async () => ({ 'USD-Blockchain': 1 }),
      logger: silentLogger(),
    });
    const t0 = 1_800_000_000_000;
    // Listed for an hour (first seen not live at t0, cancelled by the reaper, ended by absence
    // after the accepted cancel: the snapshot carries no spend for it, decision 0110).
    const record: OrphanRecord = {
      orderId: 41,
      serverId: 7,
      jobId: job.id,
      attempt: 1,
      firstSeen: t0,
      lastSeen: t0 + 3_600_000,
      reapedAt: t0 + 3_600_000,
      endedAt: t0 + 3_600_000,
    };
    await count(record, endedWithoutSpend(41));
    const stray = (await store.get(job.id)).strayOrders?.find((s) => s.orderId === 41);
    // It billed about $1 (an hour at $1/h) plus its $0.1 fee; the fee alone is far below the bill.
    expect(stray?.costUsd).toBeGreaterThanOrEqual(1.1 - 1e-9);
  });
});

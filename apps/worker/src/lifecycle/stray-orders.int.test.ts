import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Order } from '@clore-batch/clore';
import { createJobStore, type JobStore, parseJobSpec, silentLogger, toStoredSpec } from '@clore-batch/shared';
import { type RedisHandle, startRedis, trackRedis } from '@clore-batch/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OrphanRecord } from '../fleet/reaper';
import { countStrayOrders } from './stray-orders';

let server: RedisHandle;
let redis: Redis;
let store: JobStore;
let dataDir: string;

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server.stop();
});
afterEach(async () => {
  await store.close();
  await redis.quit();
  await rm(dataDir, { recursive: true, force: true });
});

async function open() {
  redis = trackRedis(new Redis(server.url));
  dataDir = await mkdtemp(join(tmpdir(), 'cb-stray-'));
  store = createJobStore({ redis, prefix: `test-${randomUUID()}`, dataDir, logTailBytes: 1024 });
  const spec = toStoredSpec(
    parseJobSpec(
      { gpu: { model: 'RTX 4090' }, image: 'ubuntu', command: 'true', maxPricePerHourUsd: 2, budgetUsd: 5 },
      { currency: 'USD-Blockchain' },
    ),
  );
  return (await store.create({ spec, owner: 'test' })).job;
}

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
  it('a reaped order that ended without a spend figure is counted at price x the time it was seen, not at its creation fee alone', async () => {
    const job = await open();
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

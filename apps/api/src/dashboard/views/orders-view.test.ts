import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createJobStore,
  errorCodeOf,
  fleetKeys,
  fleetRecordJson,
  type JobStore,
  type Order,
  type OrphanRecord,
  orphanReapableAt,
} from '@clore-batch/shared';
import { type RedisHandle, startRedis, trackRedis } from '@clore-batch/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readOrdersView } from './orders-view';

/** The dashboard reads the fleet's records with the fleet's schemas (docs/decisions/0127). */
let redisHandle: RedisHandle;
let redis: Redis;
let dataDir: string;
let store: JobStore;
let prefix: string;

beforeAll(async () => {
  redisHandle = await startRedis();
  redis = trackRedis(new Redis(redisHandle.url, { maxRetriesPerRequest: 1 }));
  dataDir = await mkdtemp(join(tmpdir(), 'cb-orders-view-'));
});
afterAll(async () => {
  await store?.close();
  await redis.quit();
  await redisHandle.stop();
  await rm(dataDir, { recursive: true, force: true });
});
beforeEach(async () => {
  await store?.close();
  prefix = `test-${randomUUID()}`;
  store = createJobStore({ redis, prefix, dataDir, logTailBytes: 1_024 });
});

/** Listed, up and ready. */
const UP = { expired: false, active: true, online: true, containerUp: true, deployed: true, ready: true };
const PRICE = { currency: 'USD-Blockchain', pricePerDay: 24, creationFee: 0, spot: false };
const ORDER: Order = { id: 12, serverId: 102, ...PRICE, ...UP };
const ORPHAN: OrphanRecord = {
  orderId: 12,
  serverId: 102,
  jobId: '',
  attempt: 0,
  firstSeen: 5_000,
  lastSeen: 6_000,
};
const view = () => readOrdersView({ redis, store, prefix, reaperGraceSeconds: 60 }, 10_000);

describe('the dashboard orders view', () => {
  it('shows "no snapshot yet" only when there is none; an unreadable one is an error', async () => {
    expect(await view()).toEqual({ snapshot: undefined, orders: [], ended: [] });
    const keys = fleetKeys(prefix);
    await redis.set(
      keys.ordersSnapshot,
      JSON.stringify({ version: 2, at: 1, orders: [{ id: 12 }], ended: [] }),
    );
    expect(await view().then(() => 'read', errorCodeOf)).toBe('FLEET_RECORD_MALFORMED');
    await redis.set(keys.ordersSnapshot, '{"version": 2,');
    expect(await view().then(() => 'read', errorCodeOf)).toBe('FLEET_RECORD_MALFORMED');
  });

  it("marks orphans with the reaper's reapable time and leaves malformed entries out", async () => {
    const keys = fleetKeys(prefix);
    const snapshot = { version: 3, at: 9_000, orders: [ORDER, { ...ORDER, id: 13 }], ended: [] };
    await redis.set(keys.ordersSnapshot, fleetRecordJson('ordersSnapshot', snapshot));
    await redis.hset(keys.orphans, '12', fleetRecordJson('orphan', ORPHAN), '13', '{"orderId": 13}');
    const { orders } = await view();
    expect(orders.map((o) => [o.id, o.kind])).toEqual([
      [12, 'orphan'],
      [13, 'unexplained'],
    ]);
    expect(orders[0]?.orphan).toEqual({ firstSeen: 5_000, reapableAt: orphanReapableAt(ORPHAN, 60_000) });
  });
});

import { randomUUID } from 'node:crypto';
import { CloreClient } from '@clore-batch/clore';
import { type SimHandle, startSimulator } from '@clore-batch/clore-sim';
import {
  createTelemetryCounters,
  errorCodeOf,
  type FleetKeys,
  fleetKeys,
  fleetRecordJson,
  silentLogger,
} from '@clore-batch/shared';
import { type RedisHandle, startRedis, trackRedis } from '@clore-batch/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readOrdersSnapshot } from './order-book';
import { orderWatchRound } from './order-watcher';

/**
 * An unreadable orders snapshot fails closed (docs/decisions/0110, 0121, 0125; 0127): the readers
 * get FLEET_RECORD_MALFORMED, never "no orders", and the leader's watcher does not replace it with
 * a snapshot built as if there had been none (which would call every known order absent).
 */
const KEY = 'fail-closed-key';
let redisHandle: RedisHandle;
let redis: Redis;
let sim: SimHandle;
let prefix: string;
let keys: FleetKeys;

beforeAll(async () => {
  redisHandle = await startRedis();
  redis = trackRedis(new Redis(redisHandle.url, { maxRetriesPerRequest: 1 }));
  sim = await startSimulator({
    keys: [{ key: KEY, balances: { 'USD-Blockchain': 100 } }],
    limits: { generalMs: 10, createMs: 20 },
  });
});
afterAll(async () => {
  await redis.quit();
  await sim.close();
  await redisHandle.stop();
});
beforeEach(() => {
  prefix = `test-${randomUUID()}`;
  keys = fleetKeys(prefix);
});

const snapshot = { version: 5, at: 1, startedAt: 1, answeredAt: 2, orders: [], ended: [] };

async function malformedCode(read: Promise<unknown>): Promise<string> {
  return read.then(
    () => 'resolved',
    (error: unknown) => errorCodeOf(error),
  );
}

describe('fleet records fail closed', () => {
  it('a stored snapshot that is not JSON, or not a snapshot, is an error to its readers, not "none yet"', async () => {
    expect(await readOrdersSnapshot(redis, keys)).toBeUndefined();
    await redis.set(keys.ordersSnapshot, fleetRecordJson('ordersSnapshot', snapshot));
    expect(await readOrdersSnapshot(redis, keys)).toEqual(snapshot);
    for (const bad of ['{"version": 6, "orders": [', JSON.stringify({ ...snapshot, orders: [{ id: 1 }] })]) {
      await redis.set(keys.ordersSnapshot, bad);
      expect(await malformedCode(readOrdersSnapshot(redis, keys))).toBe('FLEET_RECORD_MALFORMED');
    }
  });

  it("the leader's watcher round fails on an unreadable previous snapshot and leaves it in place", async () => {
    const leaseId = 'leader-1';
    await redis.set(keys.leader, leaseId);
    const round = orderWatchRound({
      redis,
      keys,
      client: new CloreClient({ baseUrl: sim.url, apiKey: KEY, retry: { maxAttempts: 1 } }),
      leaseId,
      logger: silentLogger(),
      telemetry: createTelemetryCounters(redis, prefix),
      now: Date.now,
      wakeSelf: () => {},
      afterPoll: async () => {},
      cadence: { fastMs: 100, idleMs: 200, quietMs: 300 },
    });
    // Readable: the round stores a new snapshot.
    await redis.set(keys.ordersSnapshot, fleetRecordJson('ordersSnapshot', snapshot));
    await round(AbortSignal.timeout(5_000));
    expect((await readOrdersSnapshot(redis, keys))?.version).toBeGreaterThan(snapshot.version);
    // Unreadable: the round throws (the leader task retries it) and writes nothing over it.
    const bad = JSON.stringify({ ...snapshot, missing: [{ id: 7, order: { id: 7 } }] });
    await redis.set(keys.ordersSnapshot, bad);
    expect(await malformedCode(round(AbortSignal.timeout(5_000)))).toBe('FLEET_RECORD_MALFORMED');
    expect(await redis.get(keys.ordersSnapshot)).toBe(bad);
  });
});

import { randomUUID } from 'node:crypto';
import { fleetKeys, silentLogger } from '@clore-batch/shared';
import { type RedisHandle, startRedis, trackRedis } from '@clore-batch/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIntents } from './intents';
import { createServerClaims } from './server-claims';

describe('server claims and intents (real Redis)', () => {
  let handle: RedisHandle;
  let redis: Redis;
  beforeAll(async () => {
    handle = await startRedis();
    redis = trackRedis(new Redis(handle.url), 'claims redis');
  });
  afterAll(async () => {
    await redis.quit();
    await handle.stop();
  });

  it('a claim is exclusive, re-claimable by its holder, released only by its holder, and expires', async () => {
    const keys = fleetKeys(`test-${randomUUID()}`);
    const claims = createServerClaims(redis, keys);
    expect(await claims.claim(42, 'job-a', 60_000)).toBe(true);
    expect(await claims.claim(42, 'job-b', 60_000)).toBe(false);
    expect(await claims.claim(42, 'job-a', 60_000)).toBe(true);
    await claims.release(42, 'job-b');
    expect(await redis.get(keys.claim(42))).toBe('job-a');
    await claims.release(42, 'job-a');
    expect(await claims.claim(42, 'job-b', 150)).toBe(true);
    expect(await redis.pttl(keys.claim(42))).toBeLessThanOrEqual(150);
    // 20 jobs race for one server: exactly one wins.
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => claims.claim(7, `job-${i}`, 60_000)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('intents: record, bind, list, remove; malformed entries skipped', async () => {
    const keys = fleetKeys(`test-${randomUUID()}`);
    const intents = createIntents(redis, keys, silentLogger(), () => 5_000);
    await intents.record({ jobId: 'job-a', attempt: 1, serverId: 3, at: 1_000 });
    await intents.record({ jobId: 'job-a', attempt: 2, serverId: 4, at: 2_000 });
    await intents.bindOrder('job-a', 2, 77);
    const listed = (await intents.list()).sort((x, y) => x.attempt - y.attempt);
    expect(listed).toEqual([
      { jobId: 'job-a', attempt: 1, serverId: 3, at: 1_000 },
      { jobId: 'job-a', attempt: 2, serverId: 4, at: 2_000, orderId: 77, boundAt: 5_000 },
    ]);
    await intents.remove('job-a', 1);
    expect((await intents.list()).map((i) => i.attempt)).toEqual([2]);
    // A malformed entry is skipped, not fatal.
    await redis.hset(keys.intents, 'junk:1', '{not json');
    expect(await intents.list()).toHaveLength(1);
    // bindOrder without a recorded intent still leaves a bound one (else the reaper would call the order foreign).
    await intents.bindOrder('job-b', 1, 88);
    expect((await intents.list()).find((i) => i.jobId === 'job-b')).toMatchObject({ orderId: 88 });
  });
});

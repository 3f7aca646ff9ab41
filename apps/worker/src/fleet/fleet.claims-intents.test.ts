import { randomUUID } from 'node:crypto';
import { fleetKeys, silentLogger } from '@clore-batch/shared';
import { type RedisHandle, startRedis, trackRedis } from '@clore-batch/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetNow } from './fleet-clock';
import { createIntents, intentField } from './intents';
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
    const intents = createIntents(redis, keys, silentLogger());
    const before = await fleetNow(redis);
    const a = await intents.record({ jobId: 'job-a', attempt: 1, serverId: 3 });
    const b = await intents.record({ jobId: 'job-a', attempt: 2, serverId: 4 });
    await intents.bindOrder('job-a', 2, 4, 77);
    const after = await fleetNow(redis);
    // Stamped with Redis time (docs/decisions/0111), whatever a caller passes.
    expect(a.at).toBeGreaterThanOrEqual(before);
    expect(b.at).toBeLessThanOrEqual(after);
    const listed = (await intents.list()).sort((x, y) => x.attempt - y.attempt);
    expect(listed[0]).toEqual({ jobId: 'job-a', attempt: 1, serverId: 3, at: a.at });
    expect(listed[1]).toMatchObject({ jobId: 'job-a', attempt: 2, serverId: 4, at: b.at, orderId: 77 });
    expect(listed[1]!.boundAt).toBeGreaterThanOrEqual(b.at);
    expect(listed[1]!.boundAt).toBeLessThanOrEqual(after);
    // settle stamps the end of a create try on an unbound intent only.
    await intents.settle('job-a', 1, 3);
    await intents.settle('job-a', 2, 4);
    const settled = (await intents.list()).sort((x, y) => x.attempt - y.attempt);
    expect(settled[0]!.settledAt).toBeGreaterThanOrEqual(a.at);
    expect(settled[1]!.settledAt).toBeUndefined();
    await intents.remove('job-a', 1, 3);
    expect((await intents.list()).map((i) => i.attempt)).toEqual([2]);
    // A malformed entry is skipped, not fatal.
    await redis.hset(keys.intents, 'junk:1', '{not json');
    expect(await intents.list()).toHaveLength(1);
    // bindOrder without a recorded intent still leaves a bound one (else the reaper would call the order foreign).
    await intents.bindOrder('job-b', 1, 9, 88);
    expect((await intents.list()).find((i) => i.jobId === 'job-b')).toMatchObject({
      serverId: 9,
      orderId: 88,
    });
  });

  it('intents: every server tried in one attempt keeps its own intent; bind and remove touch only that one', async () => {
    const keys = fleetKeys(`test-${randomUUID()}`);
    const intents = createIntents(redis, keys, silentLogger());
    const mine = async () =>
      (await intents.list()).filter((i) => i.jobId === 'job-a').sort((x, y) => x.serverId - y.serverId);
    // Server 3's create was lost (its intent stays); the attempt moves on to servers 4 and 5.
    const i3 = await intents.record({ jobId: 'job-a', attempt: 1, serverId: 3 });
    const i4 = await intents.record({ jobId: 'job-a', attempt: 1, serverId: 4 });
    const i5 = await intents.record({ jobId: 'job-a', attempt: 1, serverId: 5 });
    // Recording again for a server never replaces its intent (its earlier time, its binding).
    expect((await intents.record({ jobId: 'job-a', attempt: 1, serverId: 3 })).at).toBe(i3.at);
    await intents.bindOrder('job-a', 1, 5, 55);
    const listed = await mine();
    expect(listed.slice(0, 2)).toEqual([i3, i4]);
    expect(listed[2]).toMatchObject({ ...i5, orderId: 55 });
    const again = await intents.record({ jobId: 'job-a', attempt: 1, serverId: 5 });
    expect(again).toMatchObject({ at: i5.at, orderId: 55 });
    expect((await mine())[2]).toMatchObject({ at: i5.at, orderId: 55 });
    // Server 4 refused outright: only its intent goes.
    await intents.remove('job-a', 1, 4);
    expect((await mine()).map((i) => i.serverId)).toEqual([3, 5]);
    // The order on server 5 ended: only its intent goes; server 3's stays for the reaper.
    await intents.remove('job-a', 1, 5);
    expect((await mine()).map((i) => i.serverId)).toEqual([3]);
    await intents.record({ jobId: 'job-a', attempt: 2, serverId: 6, at: 5_000 });
    // Without a server: every intent of that attempt, and no other attempt's.
    await intents.record({ jobId: 'job-a', attempt: 1, serverId: 7, at: 5_000 });
    await intents.remove('job-a', 1);
    expect((await mine()).map((i) => `${i.attempt}:${i.serverId}`)).toEqual(['2:6']);
  });

  it('intents written by an older worker (one field per attempt) are bound and removed by server', async () => {
    const keys = fleetKeys(`test-${randomUUID()}`);
    const intents = createIntents(redis, keys, silentLogger());
    await redis.hset(
      keys.intents,
      'job-old:1',
      JSON.stringify({ jobId: 'job-old', attempt: 1, serverId: 8, at: 1_000 }),
    );
    await intents.bindOrder('job-old', 1, 8, 80);
    expect(await redis.hkeys(keys.intents)).toEqual([intentField('job-old', 1, 8)]);
    expect(await intents.list()).toEqual([
      { jobId: 'job-old', attempt: 1, serverId: 8, at: 1_000, orderId: 80, boundAt: expect.any(Number) },
    ]);
    await redis.hset(
      keys.intents,
      'job-old:2',
      JSON.stringify({ jobId: 'job-old', attempt: 2, serverId: 9, at: 2_000 }),
    );
    await intents.remove('job-old', 2, 8);
    expect(await intents.list()).toHaveLength(2);
    await intents.remove('job-old', 2, 9);
    await intents.remove('job-old', 1, 8);
    expect(await redis.hlen(keys.intents)).toBe(0);
  });
});

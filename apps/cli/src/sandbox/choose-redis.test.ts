import { freePort, type RedisHandle, startRedis, trackRedis } from '@clore-batch/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseRedis } from './choose-redis';

let given: RedisHandle;

beforeAll(async () => {
  given = await startRedis({ private: true, tryContainers: false });
});

afterAll(async () => {
  await given?.stop();
});

describe('chooseRedis', () => {
  it('uses a Redis that answers under a fresh prefix, and deletes only that prefix at stop', async () => {
    const redis = trackRedis(new Redis(given.url));
    try {
      await redis.set('someone-else:key', 'keep');
      const chosen = await chooseRedis(given.url);
      expect(chosen).toMatchObject({ url: given.url, via: 'given' });
      expect(chosen.prefix).toMatch(/^sandbox-[0-9a-f]{8}$/);
      const other = await chooseRedis(given.url);
      expect(other.prefix).not.toBe(chosen.prefix);
      await redis.set(`${chosen.prefix}:jobstore:job:1`, 'x');
      await redis.set(`${other.prefix}:jobstore:job:1`, 'y');
      await chosen.stop();
      expect(await redis.get(`${chosen.prefix}:jobstore:job:1`)).toBeNull();
      expect(await redis.get(`${other.prefix}:jobstore:job:1`)).toBe('y');
      expect(await redis.get('someone-else:key')).toBe('keep');
      await other.stop();
    } finally {
      await redis.quit();
    }
  });

  it('starts its own redis-server when the given URL does not answer', async () => {
    const chosen = await chooseRedis(`redis://127.0.0.1:${await freePort()}`);
    try {
      expect(chosen).toMatchObject({ via: 'spawned', prefix: 'sandbox' });
      const redis = trackRedis(new Redis(chosen.url));
      expect(await redis.ping()).toBe('PONG');
      await redis.quit();
    } finally {
      await chosen.stop();
    }
  });
});

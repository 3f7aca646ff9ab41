import { canConnect } from '@clore-batch/runtime';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { trackRedis } from './leak-check';
import { startRedis } from './redis';

describe('startRedis', () => {
  it('with no Docker engine, falls back to a private redis-server that is gone after stop()', async () => {
    const redis = await startRedis({ private: true });
    expect(redis.via === 'redis-server' || redis.via === 'testcontainers').toBe(true);
    const client = trackRedis(new Redis(redis.url));
    await client.set('k', 'v');
    expect(await client.get('k')).toBe('v');
    await client.quit();
    await redis.stop();
    expect(await canConnect(Number(new URL(redis.url).port))).toBe(false);
  });
});

import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { trackRedis } from './leak-check';
import { startRedis } from './redis';
import { canConnect } from './sshd';

describe('startRedis', () => {
  it('starts a private redis-server that answers and is gone after stop()', async () => {
    const redis = await startRedis({ private: true });
    expect(redis.via === 'redis-server' || redis.via === 'testcontainers').toBe(true);
    const client = trackRedis(new Redis(redis.url));
    await client.set('k', 'v');
    expect(await client.get('k')).toBe('v');
    await client.quit();
    await redis.stop();
    const port = Number(new URL(redis.url).port);
    expect(await canConnect(port)).toBe(false);
  });

  it('keeps data across a restart with the append-only file on', async () => {
    const redis = await startRedis({ private: true, appendOnly: true });
    const before = trackRedis(new Redis(redis.url));
    await before.set('survives', '1');
    await before.quit();
    await redis.restart?.();
    const after = trackRedis(new Redis(redis.url));
    expect(await after.get('survives')).toBe('1');
    await after.quit();
    await redis.stop();
  });
});

import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { canConnect, freePort } from './ports';
import { startRedisServer } from './redis-server';

describe('startRedisServer', () => {
  it('starts a private redis-server that answers and is gone after stop()', async () => {
    const redis = await startRedisServer();
    const client = new Redis(redis.url);
    await client.set('k', 'v');
    expect(await client.get('k')).toBe('v');
    await client.quit();
    await redis.stop();
    expect(await canConnect(redis.port)).toBe(false);
  });

  it('keeps data across a restart with the append-only file on', async () => {
    const redis = await startRedisServer({ appendOnly: true });
    const before = new Redis(redis.url);
    await before.set('survives', '1');
    await before.quit();
    await redis.restart();
    const after = new Redis(redis.url);
    expect(await after.get('survives')).toBe('1');
    await after.quit();
    await redis.stop();
  });

  it('listens on the port it is given', async () => {
    const port = await freePort();
    const redis = await startRedisServer({ port });
    expect(redis.url).toBe(`redis://127.0.0.1:${port}`);
    expect(await canConnect(port)).toBe(true);
    await redis.stop();
  });
});

import { freePort, startRedisServer, trackRedis, waitFor } from '@clore-batch/testing';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limiter';

/** Run in the order registered: clients close before the servers they use stop. */
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) {
    await cleanup();
  }
});

/** A fresh, empty redis-server on the port a stopped one used (its data is gone, as after a crash). */
async function startOnPort(port: number): Promise<void> {
  const server = await startRedisServer({ port });
  cleanups.push(() => server.stop());
}

describe('createRateLimiter when Redis is unreachable', () => {
  it('waits for Redis, never lets a call through without a slot, and keeps the spacing after Redis lost its data', async () => {
    const handle = await startRedisServer();
    let stopped = false;
    cleanups.push(async () => {
      if (!stopped) {
        await handle.stop();
      }
    });
    const port = handle.port;
    const redis = trackRedis(new Redis(handle.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 }));
    redis.on('error', () => {});
    const limiter = createRateLimiter({
      redis,
      keyHash: 'down-test',
      prefix: 'test-down',
      generalSpacingMs: 1_000,
    });
    cleanups.push(async () => {
      await limiter.close();
      redis.disconnect();
    });

    await limiter.acquire({ lane: 'reads', isCreate: false });
    const firstAt = Date.now();
    await handle.stop();
    stopped = true;

    let grantedAt = 0;
    const pending = limiter.acquire({ lane: 'cancel', isCreate: false }).then(() => {
      grantedAt = Date.now();
    });
    // Redis stays down well past the spacing: no slot can be handed out meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(grantedAt).toBe(0);

    const restartedAt = Date.now();
    await startOnPort(port);
    await waitFor(() => grantedAt > 0, {
      timeoutMs: 10_000,
      message: 'the waiting call granted after Redis came back',
    });
    await pending;
    expect(grantedAt).toBeGreaterThanOrEqual(restartedAt);

    // The restarted Redis is empty; the schedule resumes from what this process saw.
    await limiter.acquire({ lane: 'reads', isCreate: false });
    const thirdAt = Date.now();
    expect(thirdAt - grantedAt).toBeGreaterThanOrEqual(990);
    expect(grantedAt - firstAt).toBeGreaterThanOrEqual(990);
  });

  it('starts while Redis is down and hands out the first slot once it is up', async () => {
    const port = await freePort();
    const redis = trackRedis(
      new Redis(`redis://127.0.0.1:${port}`, { maxRetriesPerRequest: 1, retryStrategy: () => 50 }),
    );
    redis.on('error', () => {});
    const limiter = createRateLimiter({ redis, keyHash: 'down-at-start', prefix: 'test-down-start' });
    cleanups.push(async () => {
      await limiter.close();
      redis.disconnect();
    });
    let grantedAt = 0;
    const pending = limiter.acquire({ lane: 'cancel', isCreate: false }).then(() => {
      grantedAt = Date.now();
    });
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(grantedAt).toBe(0);
    const upAt = Date.now();
    await startOnPort(port);
    await pending;
    expect(grantedAt).toBeGreaterThanOrEqual(upAt);
  });
});

import { randomUUID } from 'node:crypto';
import { silentLogger } from '@clore-batch/shared';
import { type RedisHandle, startRedis, trackRedis } from '@clore-batch/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelHub } from './channel-hub';
import { waitOnChannel } from './wait-on-channel';

describe('waitOnChannel (real Redis pub/sub)', () => {
  let handle: RedisHandle;
  let redis: Redis;
  let hub: ChannelHub;
  const channel = `test-${randomUUID()}:changed`;
  beforeAll(async () => {
    handle = await startRedis();
    redis = trackRedis(new Redis(handle.url), 'wait redis');
    hub = new ChannelHub({ redis, logger: silentLogger() });
    await hub.subscribe([channel]);
  });
  afterAll(async () => {
    await hub.close([channel]);
    await redis.quit();
    await handle.stop();
  });

  it('wakes on a message long before the fallback re-read', async () => {
    let state: string | undefined;
    const started = Date.now();
    const waiting = waitOnChannel({ hub, channel, fallbackMs: 10_000, check: async () => state });
    state = 'ready';
    await redis.publish(channel, '1');
    expect(await waiting).toBe('ready');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('re-reads on the fallback pace when no message comes', async () => {
    let checks = 0;
    const value = await waitOnChannel({
      hub,
      channel,
      fallbackMs: 20,
      check: async () => (++checks >= 3 ? checks : undefined),
    });
    expect(value).toBe(3);
  });

  it('rides out a failing check, and gives up after maxErrorMs', async () => {
    let checks = 0;
    const value = await waitOnChannel({
      hub,
      channel,
      fallbackMs: 10,
      check: async () => {
        checks += 1;
        if (checks < 3) {
          throw new Error('redis down');
        }
        return 'back';
      },
    });
    expect(value).toBe('back');
    await expect(
      waitOnChannel({
        hub,
        channel,
        fallbackMs: 10,
        maxErrorMs: 50,
        check: async () => {
          throw new Error('still down');
        },
      }),
    ).rejects.toThrow('still down');
  });

  it('rejects with the abort reason', async () => {
    const controller = new AbortController();
    const waiting = waitOnChannel({
      hub,
      channel,
      fallbackMs: 10_000,
      signal: controller.signal,
      check: async () => undefined,
    });
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
  });
});

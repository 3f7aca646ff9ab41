import { type RedisHandle, startRedis, trackRedis, waitFor } from '@clore-batch/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Kit, startKit } from './support/e2e-kit';

/**
 * Redis silent (every client paused: an outage, a failover in progress, a frozen host) while an
 * order bills: nothing can verify its spend, record a stop, queue a cancel or take the job over.
 * The run that lost its lease leaves a guard that cancels the order straight at the provider once
 * the spend has gone unverified for SPEND_UNVERIFIED_MAX_SECONDS (docs/decisions/0125).
 */
let redis: RedisHandle;
let kit: Kit | undefined;

beforeAll(async () => {
  redis = await startRedis({ private: true });
});
afterAll(async () => {
  await redis.stop();
});
afterEach(async () => {
  await kit?.close();
  kit = undefined;
});

describe('Redis silent under a running order', () => {
  it('the order is cancelled straight at the provider within the unverified window, while Redis still does not answer', async () => {
    kit = await startKit(redis.url, { env: { SPEND_UNVERIFIED_MAX_SECONDS: '3' } });
    const k = kit;
    const job = await k.submit({ command: 'echo running; sleep 60', timeoutSeconds: 300 });
    await k.waitFor(job.id, ['running'], 30_000);
    const [order] = await k.activeOrders();
    expect(order).toBeDefined();
    // Every client of this Redis waits for 12 s (reads and writes): the worker's lease (2 s) lapses.
    const admin = trackRedis(new Redis(redis.url));
    const pausedAt = Date.now();
    await admin.call('CLIENT', 'PAUSE', '12000', 'ALL');
    try {
      // The simulator answers over HTTP, not through Redis: the order must end while Redis is paused.
      await waitFor(async () => (await k.activeOrders()).length === 0, {
        timeoutMs: 10_000,
        intervalMs: 100,
        message: 'the order to be cancelled while Redis is silent',
      });
      const endedAfterMs = Date.now() - pausedAt;
      expect(endedAfterMs).toBeLessThan(10_000);
      const ended = (await k.orders()).find((o) => o.id === order?.id);
      expect(ended).toMatchObject({ active: false, endReason: 'cancelled' });
      console.warn(`lifecycle.redis-silent: order cancelled ${endedAfterMs} ms into a Redis pause`);
    } finally {
      await admin.call('CLIENT', 'UNPAUSE').catch(() => {});
      await admin.quit();
    }
    // Redis answers again: the job is taken up again and ended by its owner.
    await k.store.requestCancel(job.id).catch(() => {});
    await k.waitDone(job.id, 60_000);
    await k.noActiveOrders(30_000);
  }, 120_000);
});

import { randomUUID } from 'node:crypto';
import { cloreLimiterKeys } from '@clore-batch/shared';
import { waitFor } from '@clore-batch/testing';
import { it as redisIt } from '@clore-batch/testing/fixtures';
import { Redis } from 'ioredis';
import { describe, expect } from 'vitest';
import type { Lane } from '../endpoints';
import { createRateLimiter, type RateLimiter, type RateLimiterOptions } from './rate-limiter';

/**
 * `limiterFor(options)`: one limiter over its own connection to the file's Redis, as a separate
 * process would have; every one is closed after the test.
 */
const it = redisIt.extend('limiterFor', async ({ redisServer }, { onCleanup }) => {
  const open: { limiter: RateLimiter; redis: Redis }[] = [];
  onCleanup(async () => {
    for (const { limiter, redis } of open) {
      await limiter.close();
      redis.disconnect();
    }
  });
  return (options: Partial<RateLimiterOptions> & { keyHash: string; prefix: string }) => {
    const redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    const limiter = createRateLimiter({ redis, ...options });
    open.push({ limiter, redis });
    return { limiter, redis };
  };
});

function unique() {
  return { keyHash: randomUUID().slice(0, 16), prefix: `test-${randomUUID()}` };
}

/** How late a local timer may fire on a loaded 2-core machine without the test failing. */
const TIMER_SLACK_MS = 40;

function gaps(times: number[]): number[] {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted.slice(1).map((t, i) => t - (sorted[i] ?? 0));
}

describe('createRateLimiter', () => {
  it('spaces calls from several processes sharing a key by the general spacing', async ({ limiterFor }) => {
    const ids = unique();
    const limiters = [
      limiterFor({ ...ids, generalSpacingMs: 150 }),
      limiterFor({ ...ids, generalSpacingMs: 150 }),
    ];
    const granted: number[] = [];
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        await limiters[i % 2]?.limiter.acquire({ lane: 'reads', isCreate: false });
        granted.push(Date.now());
      }),
    );
    // Measured here, after each local timer fired: a late timer shortens one gap (TIMER_SLACK_MS).
    expect(Math.min(...gaps(granted))).toBeGreaterThanOrEqual(150 - TIMER_SLACK_MS);
    // 12 slots, the first at once: 11 spacings, with little lost between them.
    const elapsed = Math.max(...granted) - started;
    expect(elapsed).toBeGreaterThanOrEqual(11 * 150 - 10);
    expect(elapsed).toBeLessThan(11 * 150 * 1.3);
  });

  it('keeps create_order calls apart by the create spacing while other calls use the slots between', async ({
    limiterFor,
  }) => {
    const ids = unique();
    const { limiter } = limiterFor({ ...ids, generalSpacingMs: 150, createSpacingMs: 600 });
    const creates: number[] = [];
    const all: number[] = [];
    const started = Date.now();
    await Promise.all([
      ...Array.from({ length: 3 }, async () => {
        await limiter.acquire({ lane: 'create', isCreate: true });
        creates.push(Date.now());
        all.push(Date.now());
      }),
      ...Array.from({ length: 9 }, async () => {
        await limiter.acquire({ lane: 'reads', isCreate: false });
        all.push(Date.now());
      }),
    ]);
    expect(Math.min(...gaps(creates))).toBeGreaterThanOrEqual(600 - TIMER_SLACK_MS);
    expect(Math.min(...gaps(all))).toBeGreaterThanOrEqual(150 - TIMER_SLACK_MS);
    // 3 creates need 1 200 ms; the 9 reads fit around them: 11 spacings of 150 ms in all.
    expect(Math.max(...all) - started).toBeLessThan(11 * 150 * 1.3);
  });

  it('sends a cancel queued behind 20 waiting marketplace reads next', async ({ limiterFor }) => {
    const ids = unique();
    const order: string[] = [];
    let queueCancel: () => void = () => {};
    const reads = limiterFor({
      ...ids,
      generalSpacingMs: 150,
      // Queue the cancel the moment the second read goes out: 19 reads are still waiting then.
      onAcquire: () => (order.length === 1 ? queueCancel() : undefined),
    });
    const canceller = limiterFor({ ...ids, generalSpacingMs: 150 });
    const room = cloreLimiterKeys(ids.prefix, ids.keyHash).wait;
    let waitingWhenQueued = 0;
    const cancelDone = new Promise<void>((resolve, reject) => {
      queueCancel = () => {
        void reads.redis.zcard(room).then((n) => {
          waitingWhenQueued = n;
        });
        canceller.limiter
          .acquire({ lane: 'cancel', isCreate: false })
          .then(() => order.push('cancel'))
          .then(() => resolve(), reject);
      };
    });
    const readsDone = Array.from({ length: 21 }, (_, i) =>
      reads.limiter.acquire({ lane: 'reads', isCreate: false }).then(() => order.push(`read-${i}`)),
    );
    await cancelDone;
    await Promise.all(readsDone);
    expect(waitingWhenQueued).toBeGreaterThanOrEqual(19);
    // Two reads had gone out when the cancel was queued; the cancel is the very next call.
    expect(order.indexOf('cancel')).toBe(2);
    expect(order).toHaveLength(22);
  });

  it('serves lanes in priority order: cancel, create, orders, reads', async ({ limiterFor }) => {
    const ids = unique();
    const { limiter } = limiterFor({ ...ids, generalSpacingMs: 120, createSpacingMs: 120 });
    const blocker = limiter.acquire({ lane: 'reads', isCreate: false });
    await blocker;
    const order: Lane[] = [];
    const lanes: Lane[] = ['reads', 'orders', 'create', 'cancel', 'reads', 'orders', 'create', 'cancel'];
    // All queued while the slot after the blocker is still 120 ms away.
    await Promise.all(
      lanes.map((lane) =>
        limiter.acquire({ lane, isCreate: lane === 'create' }).then(() => order.push(lane)),
      ),
    );
    expect(order).toEqual(['cancel', 'cancel', 'create', 'create', 'orders', 'orders', 'reads', 'reads']);
  });

  it('pushes the shared schedule back for every process after penalize()', async ({ limiterFor }) => {
    const ids = unique();
    const a = limiterFor({ ...ids, generalSpacingMs: 50 });
    const b = limiterFor({ ...ids, generalSpacingMs: 50 });
    await a.limiter.acquire({ lane: 'reads', isCreate: false });
    const penalizedAt = Date.now();
    await a.limiter.penalize(600);
    await b.limiter.acquire({ lane: 'cancel', isCreate: false });
    expect(Date.now() - penalizedAt).toBeGreaterThanOrEqual(590);
  });

  it('drops the ticket of a process that died while waiting', async ({ limiterFor }) => {
    const ids = unique();
    const { limiter, redis } = limiterFor({ ...ids, generalSpacingMs: 50, aliveMs: 600 });
    const names = cloreLimiterKeys(ids.prefix, ids.keyHash);
    const now = Date.now();
    // A dead process's cancel ticket at the head of the room, last refreshed just now.
    await redis.zadd(names.wait, 0, 'g:dead:1');
    await redis.zadd(names.alive, now + 600, 'g:dead:1');
    const started = Date.now();
    await limiter.acquire({ lane: 'reads', isCreate: false });
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(await redis.zscore(names.wait, 'g:dead:1')).toBeNull();
  });

  it('leaves the waiting room when the caller aborts', async ({ limiterFor }) => {
    const ids = unique();
    const { limiter, redis } = limiterFor({ ...ids, generalSpacingMs: 2_000 });
    await limiter.acquire({ lane: 'reads', isCreate: false });
    const controller = new AbortController();
    const pending = limiter.acquire({ lane: 'reads', isCreate: false, signal: controller.signal });
    const room = cloreLimiterKeys(ids.prefix, ids.keyHash).wait;
    await waitFor(async () => (await redis.zcard(room)) === 1, { message: 'the ticket in the room' });
    controller.abort(new Error('caller gave up'));
    await expect(pending).rejects.toThrow('caller gave up');
    expect(await redis.zcard(room)).toBe(0);
  });

  it('reports per-lane waits through stats() and onAcquire', async ({ limiterFor }) => {
    const ids = unique();
    const events: { lane: Lane; waitedMs: number }[] = [];
    const { limiter } = limiterFor({ ...ids, generalSpacingMs: 80, onAcquire: (e) => events.push(e) });
    await Promise.all([
      limiter.acquire({ lane: 'reads', isCreate: false }),
      limiter.acquire({ lane: 'reads', isCreate: false }),
      limiter.acquire({ lane: 'orders', isCreate: false }),
    ]);
    const stats = limiter.stats();
    expect(stats.reads.acquired).toBe(2);
    expect(stats.orders.acquired).toBe(1);
    expect(stats.cancel.acquired).toBe(0);
    expect(events).toHaveLength(3);
    expect(Math.max(...events.map((e) => e.waitedMs))).toBeGreaterThanOrEqual(150);
  });
});

describe('the send gate', () => {
  it('keeps the spacing from a call that was sent late, even when the next slot was already reserved', async ({
    limiterFor,
  }) => {
    const ids = unique();
    const spacing = 300;
    const early = limiterFor({ ...ids, generalSpacingMs: spacing });
    const next = limiterFor({ ...ids, generalSpacingMs: spacing });
    await early.limiter.acquire({ lane: 'reads', isCreate: false });
    const sentAt = Date.now();
    // The schedule as a process that reserved its slot before that call went out (late) would see it.
    const stateKey = cloreLimiterKeys(ids.prefix, ids.keyHash).state;
    await early.redis.hset(stateKey, 'g', 0);
    await next.limiter.acquire({ lane: 'reads', isCreate: false });
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(spacing - 5);
  });

  it('keeps the create spacing between two creates the same way', async ({ limiterFor }) => {
    const ids = unique();
    const first = limiterFor({ ...ids, generalSpacingMs: 50, createSpacingMs: 400 });
    const second = limiterFor({ ...ids, generalSpacingMs: 50, createSpacingMs: 400 });
    await first.limiter.acquire({ lane: 'create', isCreate: true });
    const sentAt = Date.now();
    await first.redis.hset(cloreLimiterKeys(ids.prefix, ids.keyHash).state, 'g', 0, 'c', 0);
    await second.limiter.acquire({ lane: 'create', isCreate: true });
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(400 - 5);
  });
});

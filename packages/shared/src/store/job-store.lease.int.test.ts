import type { Redis } from 'ioredis';
import { describe, expect } from 'vitest';
import { BOUND_ATTEMPT, createJob, it, rejection } from '../../test/store-fixture';

const attempt = BOUND_ATTEMPT;

/** Let a lease run out as a paused worker's would (no renewal), without sleeping a whole TTL. */
async function expire(redis: Redis, prefix: string, id: string): Promise<void> {
  await redis.del(`${prefix}:jobstore:job:${id}:lease`);
}

describe('job leases and fenced writes (docs/decisions/0120)', () => {
  it('a worker whose lease passed to another cannot write the job any more; the new owner can', async ({
    store,
    prefix,
    redis,
  }) => {
    const job = await createJob(store);
    const first = await store.acquireLease(job.id, { ttlMs: 5_000, holder: 'first' });
    const a = store.fenced(first);
    await a.transition(job.id, 'dispatch');
    await a.addAttempt(job.id, attempt);

    await expire(redis, prefix, job.id); // the first worker is paused past its TTL
    const second = await store.acquireLease(job.id, { ttlMs: 5_000, holder: 'second' });
    const b = store.fenced(second);
    const before = await store.get(job.id);

    // Every kind of worker write by the first worker is refused, and nothing changes.
    const writes: Array<[string, () => Promise<unknown>]> = [
      ['transition', () => a.transition(job.id, 'provisioned')],
      ['update', () => a.update(job.id, (d) => void d.outputs.push({ path: '/x', size: 1 }))],
      ['addInfo', () => a.addInfo(job.id, 'still here')],
      ['addAttempt', () => a.addAttempt(job.id, attempt)],
      ['attemptDecided', () => a.attemptDecided(job.id, 1, 'cancelled')],
      ['appendLog', () => a.appendLog(job.id, 0, Buffer.from('late bytes'))],
    ];
    for (const [what, write] of writes) {
      const error = await rejection(write());
      expect(error.code, what).toBe('JOB_OWNERSHIP_LOST');
    }
    expect(await store.get(job.id)).toEqual(before);
    expect(await store.logSize(job.id)).toBe(0);
    expect(await store.renewLease(first)).toBe('lost');

    // The owner writes; the API's own writes are never fenced.
    await b.transition(job.id, 'provisioned');
    await b.appendLog(job.id, 0, Buffer.from('owner bytes'));
    await store.requestCancel(job.id);
    expect((await store.get(job.id)).state).toBe('running');
    expect((await store.readLog(job.id)).toString()).toBe('owner bytes');
    expect(await store.renewLease(second)).toBe('held');
  });

  it('an expired lease nobody took is not taken back by a renewal: the worker must acquire again', async ({
    store,
    prefix,
    redis,
  }) => {
    const job = await createJob(store);
    const lease = await store.acquireLease(job.id, { ttlMs: 5_000 });
    await expire(redis, prefix, job.id);
    expect(await store.renewLease(lease)).toBe('lost');
    expect((await rejection(store.fenced(lease).addInfo(job.id, 'x'))).code).toBe('JOB_OWNERSHIP_LOST');
    const again = await store.acquireLease(job.id, { ttlMs: 5_000 });
    await store.fenced(again).addInfo(job.id, 'back');
  });

  it('acquiring waits for the holder to release or for its TTL to run out; waitMs bounds the wait', async ({
    store,
  }) => {
    const job = await createJob(store);
    const held = await store.acquireLease(job.id, { ttlMs: 400 });
    const refused = await rejection(store.acquireLease(job.id, { ttlMs: 400, waitMs: 0 }));
    expect(refused.code).toBe('JOB_OWNERSHIP_LOST');

    const waits: string[] = [];
    const started = Date.now();
    const next = await store.acquireLease(job.id, { ttlMs: 400, onWait: (holder) => waits.push(holder) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(200); // held until its TTL ran out
    expect(waits[0]).toBe(held.token);
    expect(next.token).not.toBe(held.token);

    await store.releaseLease(held); // not the holder any more: a no-op
    expect(await store.renewLease(next)).toBe('held');
    await store.releaseLease(next);
    const third = await store.acquireLease(job.id, { ttlMs: 400, waitMs: 0 });
    expect(third.jobId).toBe(job.id);
  });

  it('a vanished record is JOB_NOT_FOUND for fenced writes and "missing" for the renewal', async ({
    store,
    prefix,
    redis,
  }) => {
    const job = await createJob(store);
    const lease = await store.acquireLease(job.id, { ttlMs: 5_000 });
    await redis.del(`${prefix}:jobstore:job:${job.id}`);
    expect(await store.renewLease(lease)).toBe('missing');
    expect((await rejection(store.fenced(lease).addInfo(job.id, 'x'))).code).toBe('JOB_NOT_FOUND');
    expect((await rejection(store.acquireLease(job.id, { ttlMs: 5_000 }))).code).toBe('JOB_NOT_FOUND');
  });

  it('unfenced writes (the API) and the fenced view of another job are not affected by a lease', async ({
    store,
  }) => {
    const job = await createJob(store);
    const other = await createJob(store);
    const lease = await store.acquireLease(job.id, { ttlMs: 5_000 });
    await store.addInfo(job.id, 'from the API');
    await store.fenced(lease).addInfo(other.id, 'another job: not fenced by this lease');
    expect((await store.get(other.id)).events.at(-1)?.message).toContain('another job');
  });
});

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AppError } from '../errors/app-error';
import type { Attempt } from './job-record';
import { openStore, type StoreFixture, type StoreServer, startStoreServer, testSpec } from './store-fixture';

let server: StoreServer;
let f: StoreFixture;

beforeAll(async () => {
  server = await startStoreServer();
});
afterAll(async () => {
  await server.stop();
});
beforeEach(async () => {
  f = await openStore(server);
});
afterEach(async () => {
  await f.close();
});

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    return error as AppError;
  }
  throw new Error('expected a rejection');
}

const attempt: Omit<Attempt, 'n'> = {
  serverId: 42,
  orderId: 7,
  gpu: 'NVIDIA GeForce RTX 4090',
  pricePerHourUsd: 0.5,
  currency: 'CLORE-Blockchain',
  startedAt: '2026-11-24T12:00:00.000Z',
  spentUsd: 0,
};

async function newJob() {
  return (await f.store.create({ spec: testSpec(), owner: 'alice' })).job;
}

/** Let a lease run out as a paused worker's would (no renewal), without sleeping a whole TTL. */
async function expire(id: string): Promise<void> {
  await server.redis.del(`${f.prefix}:jobstore:job:${id}:lease`);
}

describe('job leases and fenced writes (docs/decisions/0120)', () => {
  it('a worker whose lease passed to another cannot write the job any more; the new owner can', async () => {
    const job = await newJob();
    const first = await f.store.acquireLease(job.id, { ttlMs: 5_000, holder: 'first' });
    const a = f.store.fenced(first);
    await a.transition(job.id, 'dispatch');
    await a.addAttempt(job.id, attempt);

    await expire(job.id); // the first worker is paused past its TTL
    const second = await f.store.acquireLease(job.id, { ttlMs: 5_000, holder: 'second' });
    const b = f.store.fenced(second);
    const before = await f.store.get(job.id);

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
    expect(await f.store.get(job.id)).toEqual(before);
    expect(await f.store.logSize(job.id)).toBe(0);
    expect(await f.store.renewLease(first)).toBe('lost');

    // The owner writes; the API's own writes are never fenced.
    await b.transition(job.id, 'provisioned');
    await b.appendLog(job.id, 0, Buffer.from('owner bytes'));
    await f.store.requestCancel(job.id);
    expect((await f.store.get(job.id)).state).toBe('running');
    expect((await f.store.readLog(job.id)).toString()).toBe('owner bytes');
    expect(await f.store.renewLease(second)).toBe('held');
  });

  it('an expired lease nobody took is not taken back by a renewal: the worker must acquire again', async () => {
    const job = await newJob();
    const lease = await f.store.acquireLease(job.id, { ttlMs: 5_000 });
    await expire(job.id);
    expect(await f.store.renewLease(lease)).toBe('lost');
    expect((await rejection(f.store.fenced(lease).addInfo(job.id, 'x'))).code).toBe('JOB_OWNERSHIP_LOST');
    const again = await f.store.acquireLease(job.id, { ttlMs: 5_000 });
    await f.store.fenced(again).addInfo(job.id, 'back');
  });

  it('acquiring waits for the holder to release or for its TTL to run out; waitMs bounds the wait', async () => {
    const job = await newJob();
    const held = await f.store.acquireLease(job.id, { ttlMs: 400 });
    const refused = await rejection(f.store.acquireLease(job.id, { ttlMs: 400, waitMs: 0 }));
    expect(refused.code).toBe('JOB_OWNERSHIP_LOST');

    const waits: string[] = [];
    const started = Date.now();
    const next = await f.store.acquireLease(job.id, { ttlMs: 400, onWait: (holder) => waits.push(holder) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(200); // held until its TTL ran out
    expect(waits[0]).toBe(held.token);
    expect(next.token).not.toBe(held.token);

    await f.store.releaseLease(held); // not the holder any more: a no-op
    expect(await f.store.renewLease(next)).toBe('held');
    await f.store.releaseLease(next);
    const third = await f.store.acquireLease(job.id, { ttlMs: 400, waitMs: 0 });
    expect(third.jobId).toBe(job.id);
  });

  it('a vanished record is JOB_NOT_FOUND for fenced writes and "missing" for the renewal', async () => {
    const job = await newJob();
    const lease = await f.store.acquireLease(job.id, { ttlMs: 5_000 });
    await server.redis.del(`${f.prefix}:jobstore:job:${job.id}`);
    expect(await f.store.renewLease(lease)).toBe('missing');
    expect((await rejection(f.store.fenced(lease).addInfo(job.id, 'x'))).code).toBe('JOB_NOT_FOUND');
    expect((await rejection(f.store.acquireLease(job.id, { ttlMs: 5_000 }))).code).toBe('JOB_NOT_FOUND');
  });

  it('unfenced writes (the API) and the fenced view of another job are not affected by a lease', async () => {
    const job = await newJob();
    const other = await newJob();
    const lease = await f.store.acquireLease(job.id, { ttlMs: 5_000 });
    await f.store.addInfo(job.id, 'from the API');
    await f.store.fenced(lease).addInfo(other.id, 'another job: not fenced by this lease');
    expect((await f.store.get(other.id)).events.at(-1)?.message).toContain('another job');
  });
});

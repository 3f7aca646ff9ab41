import type { Redis } from 'ioredis';
import { describe, expect } from 'vitest';
import { it as storeIt, testSpec } from '../../test/store-fixture';
import type { Priority } from '../spec/job-spec';
import type { JobRecord } from '../store/job-record';
import type { JobStore } from '../store/job-store';

import type { TenantLimits } from '../tenants/tenant-limits';
import { fairKeys } from './fair-keys';
import { createFairQueue, type FairQueue } from './fair-queue';

/** The store's clock: one millisecond per job, so ids (and age) follow the order of creation. */
let clock = Date.now() + 60_000;
/** The test's store, Redis and prefix (set by the auto fixture `f` for each test). */
let f: { store: JobStore; redis: Redis; prefix: string };

const it = storeIt
  .override('storeOptions', {
    now: () => {
      clock += 1;
      return new Date(clock);
    },
  })
  .extend('f', { auto: true }, async ({ store, redis, prefix }) => {
    f = { store, redis, prefix };
    return f;
  });

const fair = (limits: TenantLimits = {}): FairQueue => createFairQueue(f.redis, f.prefix, limits);

async function queued(owner: string, priority: Priority = 'normal', enter = true): Promise<JobRecord> {
  const { job } = await f.store.create({ spec: testSpec({ priority }), owner });
  if (enter) {
    await fair().enter(job);
  }
  return job;
}

/** A job of `owner` past queued (counts as running). */
async function runningJob(owner: string): Promise<JobRecord> {
  const job = await queued(owner, 'normal', false);
  return f.store.transition(job.id, 'dispatch');
}

describe('the fair-share pick', () => {
  it('gives a slot to the tenant with the fewest running jobs, ties to the oldest next job', async () => {
    await runningJob('a');
    const a1 = await queued('a');
    const a2 = await queued('a');
    const b1 = await queued('b');
    expect((await fair().pick(1)).picks).toEqual([b1.id]);
    // b1, then a tie at one running each goes to a's older job, then a has 2 and b has none left.
    expect((await fair().pick(4)).picks).toEqual([b1.id, a1.id, a2.id]);
  });

  it('orders a tenant queue by priority, then age', async () => {
    const low = await queued('a', 'low');
    const normal = await queued('a', 'normal');
    const high = await queued('a', 'high');
    const high2 = await queued('a', 'high');
    expect((await fair().pick(4)).picks).toEqual([high.id, high2.id, normal.id, low.id]);
  });

  it('holds a tenant at maxRunningJobs and tells its queued jobs why, once', async () => {
    const limits = { a: { maxRunningJobs: 1 } };
    await runningJob('a');
    const a1 = await queued('a');
    const b1 = await queued('b');
    const first = await fair(limits).pick(3);
    expect(first.picks).toEqual([b1.id]);
    expect(first.notes).toEqual([{ owner: 'a', running: 1, limit: 1, jobIds: [a1.id] }]);
    expect((await fair(limits).pick(3)).notes).toEqual([]);
    // "*" applies to names not listed; a listed name takes only its own entry.
    expect((await fair({ '*': { maxRunningJobs: 1 }, b: {} }).pick(3)).picks).toEqual([b1.id]);
  });

  it('drops jobs that left queued (cancelled) from the ready sets', async () => {
    const gone = await queued('a');
    const next = await queued('a');
    await f.store.requestCancel(gone.id);
    expect((await fair().pick(2)).picks).toEqual([next.id]);
    expect(await f.redis.zrange(fairKeys(f.prefix).ready('a'), '0', '-1')).toEqual([next.id]);
  });
});

describe('deciding the job in hand', () => {
  it('runs it when it is the fairest, parks it otherwise and names the fairer job', async () => {
    const b1 = await queued('b');
    const a1 = await queued('a', 'normal', false); // not entered: a job BullMQ handed over first
    const parked = await fair().decide(a1, 1);
    expect(parked).toMatchObject({ verdict: 'park', picks: [b1.id] });
    expect(await fair().decide(b1, 1)).toMatchObject({ verdict: 'run', picks: [] });
    // b1 is admitted (counts as running for b until it leaves queued): a1 is next.
    expect(await fair().decide(b1, 1)).toMatchObject({ verdict: 'run' });
    expect(await fair().decide(a1, 2)).toMatchObject({ verdict: 'run' });
    expect(await f.redis.scard(fairKeys(f.prefix).tenants())).toBe(0);
  });

  it('with more free slots, runs it as a later choice and names the earlier ones', async () => {
    const b1 = await queued('b');
    const a1 = await queued('a', 'normal', false);
    expect(await fair().decide(a1, 2)).toMatchObject({ verdict: 'run', picks: [b1.id] });
  });

  it('counts an admitted job as running until it leaves queued, then through the state index', async () => {
    const limits = { a: { maxRunningJobs: 1 } };
    const a1 = await queued('a');
    const a2 = await queued('a');
    expect(await fair().admittedQueued('a')).toBe(0);
    expect((await fair(limits).decide(a1, 1)).verdict).toBe('run');
    expect(await fair().admittedQueued('a')).toBe(1);
    expect(await fair().admittedQueued('b')).toBe(0);
    const held = await fair(limits).decide(a2, 1);
    expect(held).toEqual({
      verdict: 'park',
      picks: [],
      notes: [{ owner: 'a', running: 1, limit: 1, jobIds: [a2.id] }],
    });
    await f.store.transition(a1.id, 'dispatch');
    expect(await fair().admittedQueued('a')).toBe(0); // counted by the state index now
    expect((await fair(limits).decide(a2, 1)).verdict).toBe('park');
    await f.store.transition(a1.id, 'fail', { reason: 'internal' });
    expect((await fair(limits).pick(1)).picks).toEqual([a2.id]);
    expect(await f.redis.zcard(fairKeys(f.prefix).admitted('a'))).toBe(0);
  });

  it('says gone for a job that is no longer queued, and never enters one', async () => {
    const job = await queued('a', 'normal', false);
    await f.store.requestCancel(job.id);
    expect((await fair().decide(job, 1)).verdict).toBe('gone');
    expect(await fair().enter(job)).toBe(false);
  });
});

import { describe, expect } from 'vitest';
import { it as storeIt, testSpec } from '../../test/store-fixture';
import { idempotentJobId } from './idempotency-lookup';
import { ownerJobVersions } from './owner-jobs-since';

/** The store's clock (ids take their time from it); ahead of any id this process made before. */
let clock = Date.now() + 60_000;
const it = storeIt.override('storeOptions', { now: () => new Date(clock) });

describe('the read-only owner queries of the tenant limits', () => {
  it('lists the ids since a time and those in given states, with record versions', async ({
    store,
    redis,
    prefix,
  }) => {
    const early = (await store.create({ spec: testSpec(), owner: 'alice' })).job.id;
    await store.transition(early, 'dispatch');
    clock += 1_000;
    const since = clock;
    const late = (await store.create({ spec: testSpec(), owner: 'alice' })).job.id;
    await store.create({ spec: testSpec(), owner: 'bob' });
    const rows = await ownerJobVersions(redis, prefix, 'alice', { sinceMs: since, states: [] });
    expect(rows).toEqual([{ id: late, version: 1 }]);
    const withLive = await ownerJobVersions(redis, prefix, 'alice', {
      sinceMs: since,
      states: ['queued', 'provisioning'],
    });
    expect(withLive).toEqual([
      { id: late, version: 1 },
      { id: late, version: 1 },
      { id: early, version: 2 },
    ]);
    await store.delete(late);
    expect(await ownerJobVersions(redis, prefix, 'alice', { sinceMs: since, states: [] })).toEqual([]);
  });

  it('finds the job an Idempotency-Key made, per owner, whatever the body', async ({
    store,
    redis,
    prefix,
  }) => {
    const { job } = await store.create({
      spec: testSpec(),
      owner: 'alice',
      idempotencyKey: 'build-7',
      requestHash: 'hash-a',
    });
    expect(await idempotentJobId(redis, prefix, 'alice', 'build-7')).toBe(job.id);
    expect(await idempotentJobId(redis, prefix, 'bob', 'build-7')).toBeUndefined();
    expect(await idempotentJobId(redis, prefix, 'alice', 'build-8')).toBeUndefined();
  });
});

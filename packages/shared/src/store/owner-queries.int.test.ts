import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { idempotentJobId } from './idempotency-lookup';
import { ownerJobVersions } from './owner-jobs-since';
import { openStore, type StoreFixture, type StoreServer, startStoreServer, testSpec } from './store-fixture';

let server: StoreServer;
let f: StoreFixture;
/** The store's clock (ids take their time from it); ahead of any id this process made before. */
let clock = Date.now() + 60_000;

beforeAll(async () => {
  server = await startStoreServer();
});
afterAll(async () => {
  await server.stop();
});
beforeEach(async () => {
  f = await openStore(server, { now: () => new Date(clock) });
});
afterEach(async () => {
  await f.close();
});

describe('the read-only owner queries of the tenant limits', () => {
  it('lists the ids since a time and those in given states, with record versions', async () => {
    const early = (await f.store.create({ spec: testSpec(), owner: 'alice' })).job.id;
    await f.store.transition(early, 'dispatch');
    clock += 1_000;
    const since = clock;
    const late = (await f.store.create({ spec: testSpec(), owner: 'alice' })).job.id;
    await f.store.create({ spec: testSpec(), owner: 'bob' });
    const rows = await ownerJobVersions(server.redis, f.prefix, 'alice', { sinceMs: since, states: [] });
    expect(rows).toEqual([{ id: late, version: 1 }]);
    const withLive = await ownerJobVersions(server.redis, f.prefix, 'alice', {
      sinceMs: since,
      states: ['queued', 'provisioning'],
    });
    expect(withLive).toEqual([
      { id: late, version: 1 },
      { id: late, version: 1 },
      { id: early, version: 2 },
    ]);
    await f.store.delete(late);
    expect(await ownerJobVersions(server.redis, f.prefix, 'alice', { sinceMs: since, states: [] })).toEqual(
      [],
    );
  });

  it('finds the job an Idempotency-Key made, per owner, whatever the body', async () => {
    const { job } = await f.store.create({
      spec: testSpec(),
      owner: 'alice',
      idempotencyKey: 'build-7',
      requestHash: 'hash-a',
    });
    expect(await idempotentJobId(server.redis, f.prefix, 'alice', 'build-7')).toBe(job.id);
    expect(await idempotentJobId(server.redis, f.prefix, 'bob', 'build-7')).toBeUndefined();
    expect(await idempotentJobId(server.redis, f.prefix, 'alice', 'build-8')).toBeUndefined();
  });
});

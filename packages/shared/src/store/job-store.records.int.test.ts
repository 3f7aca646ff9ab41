import { describe, expect } from 'vitest';
import { it, rejection, testSpec } from '../../test/store-fixture';
import { JOB_ID_PATTERN } from './job-id';

describe('create and get', () => {
  it('creates a queued job with its stored spec and a first history event', async ({ store }) => {
    const spec = testSpec({ name: 'hello' });
    const { job, created } = await store.create({ spec, owner: 'alice' });
    expect(created).toBe(true);
    expect(job.id).toMatch(JOB_ID_PATTERN);
    expect(job).toMatchObject({
      name: 'hello',
      owner: 'alice',
      state: 'queued',
      version: 1,
      costUsd: 0,
      attempts: [],
      outputs: [],
      webhookDeliveries: [],
    });
    expect(job.events).toEqual([
      { at: job.createdAt, type: 'state', to: 'queued', message: 'job submitted and queued' },
    ]);
    expect(await store.get(job.id)).toEqual(job);
  });

  it('answers JOB_NOT_FOUND for unknown and malformed ids', async ({ store }) => {
    expect((await rejection(store.get('job_01ARZ3NDEKTSV4RRFFQ69G5FAV'))).code).toBe('JOB_NOT_FOUND');
    expect((await rejection(store.get('../../etc/passwd'))).code).toBe('JOB_NOT_FOUND');
  });

  it('refuses a spec that still carries secretEnv values', async ({ store }) => {
    const spec = { ...testSpec(), secretEnv: { TOKEN: 'x' } };
    const error = await rejection(store.create({ spec, owner: 'alice' }));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toEqual({ issues: [{ path: 'secretEnv', message: 'unknown field' }] });
    expect(error.message).not.toContain("'x'");
  });

  it('refuses a secretEnv that is not sealed', async ({ store }) => {
    const error = await rejection(
      store.create({ spec: testSpec(), owner: 'alice', secretEnvSealed: '{"TOKEN":"clear"}' }),
    );
    expect(error.code).toBe('INTERNAL');
    expect(error.message).not.toContain('clear');
  });
});

describe('idempotency', () => {
  it('returns the same job for the same key and body, 409 code for another body', async ({ store }) => {
    const input = { spec: testSpec(), owner: 'alice', idempotencyKey: 'k1', requestHash: 'h1' };
    const first = await store.create(input);
    const again = await store.create(input);
    expect(again).toEqual({ job: first.job, created: false });
    const error = await rejection(store.create({ ...input, requestHash: 'h2' }));
    expect(error.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(error.status).toBe(409);
    expect((await store.list()).jobs).toHaveLength(1);
  });

  it('scopes keys per owner', async ({ store }) => {
    const a = await store.create({
      spec: testSpec(),
      owner: 'alice',
      idempotencyKey: 'k',
      requestHash: 'h',
    });
    const b = await store.create({ spec: testSpec(), owner: 'bob', idempotencyKey: 'k', requestHash: 'h' });
    expect(b.created).toBe(true);
    expect(b.job.id).not.toBe(a.job.id);
  });

  it('creates exactly one job when the same request races', async ({ store }) => {
    const input = { spec: testSpec(), owner: 'alice', idempotencyKey: 'race', requestHash: 'h' };
    const results = await Promise.all(Array.from({ length: 20 }, () => store.create(input)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.job.id)).size).toBe(1);
  });

  it('keeps the key for 24 hours', async ({ store, prefix, redis }) => {
    await store.create({ spec: testSpec(), owner: 'alice', idempotencyKey: 'ttl', requestHash: 'h' });
    const keys = await redis.keys(`${prefix}:jobstore:idem:*`);
    expect(keys).toHaveLength(1);
    const ttl = await redis.ttl(keys[0] as string);
    expect(ttl).toBeGreaterThan(24 * 3600 - 60);
    expect(ttl).toBeLessThanOrEqual(24 * 3600);
  });
});

describe('list', () => {
  it('lists newest first across pages, and a cursor is stable while jobs are added', async ({ store }) => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i += 1) {
      ids.push((await store.create({ spec: testSpec(), owner: 'alice' })).job.id);
    }
    const newestFirst = [...ids].reverse();
    const page1 = await store.list({ limit: 3 });
    expect(page1.jobs.map((j) => j.id)).toEqual(newestFirst.slice(0, 3));
    expect(page1.nextCursor).toBeDefined();
    // New jobs arrive between pages: they go before page 1, never into later pages.
    await store.create({ spec: testSpec(), owner: 'alice' });
    await store.create({ spec: testSpec(), owner: 'alice' });
    const page2 = await store.list({ limit: 3, cursor: page1.nextCursor as string });
    expect(page2.jobs.map((j) => j.id)).toEqual(newestFirst.slice(3, 6));
    const page3 = await store.list({ limit: 3, cursor: page2.nextCursor as string });
    expect(page3.jobs.map((j) => j.id)).toEqual(newestFirst.slice(6));
    expect(page3.nextCursor).toBeUndefined();
  });

  it('filters by owner and by state, and counts by state', async ({ store }) => {
    const a1 = (await store.create({ spec: testSpec(), owner: 'alice' })).job;
    const a2 = (await store.create({ spec: testSpec(), owner: 'alice' })).job;
    const b1 = (await store.create({ spec: testSpec(), owner: 'bob' })).job;
    await store.transition(a2.id, 'dispatch');
    expect((await store.list({ owner: 'alice' })).jobs.map((j) => j.id)).toEqual([a2.id, a1.id]);
    expect((await store.list({ owner: 'bob' })).jobs.map((j) => j.id)).toEqual([b1.id]);
    expect((await store.list({ state: 'queued' })).jobs.map((j) => j.id)).toEqual([b1.id, a1.id]);
    expect((await store.list({ owner: 'alice', state: 'provisioning' })).jobs.map((j) => j.id)).toEqual([
      a2.id,
    ]);
    expect(await store.countByState()).toMatchObject({ queued: 2, provisioning: 1, running: 0 });
    expect(await store.countByState('alice')).toMatchObject({ queued: 1, provisioning: 1 });
  });

  it('rejects a cursor it did not make', async ({ store }) => {
    const error = await rejection(store.list({ cursor: 'bm90LWEtY3Vyc29y' }));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toEqual({
      issues: [{ path: 'cursor', message: 'is not a cursor this API returned' }],
    });
  });
});

describe('delete', () => {
  it('removes the record, its secrets, log and index entries', async ({ store, prefix, redis }) => {
    const { job } = await store.create({ spec: testSpec(), owner: 'alice' });
    await store.appendLog(job.id, 0, Buffer.from('hello'));
    await store.delete(job.id);
    expect((await rejection(store.get(job.id))).code).toBe('JOB_NOT_FOUND');
    expect((await store.list()).jobs).toEqual([]);
    expect(await store.countByState()).toMatchObject({ queued: 0 });
    expect(await redis.keys(`${prefix}:jobstore:job:*`)).toEqual([]);
  });
});

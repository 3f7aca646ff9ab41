import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { keysMentioning } from '@clore-batch/testing';
import type { Redis } from 'ioredis';
import { describe, expect } from 'vitest';
import { BOUND_ATTEMPT, it, testSpec } from '../../test/store-fixture';
import { deriveSecretKey, sealJson, sealSecret } from '../crypto/secret-box';
import type { JobStore } from './job-store';

/**
 * Retention in the store (docs/decisions/0133): a finished job's secrets go once its orders have
 * ended; the whole job goes after the cutoff, also only once its orders have ended.
 */
const key = deriveSecretKey('test-secrets-key-that-is-long-enough-0123456789');
const HOUR = 3_600_000;

/** The keys under the prefix that mention `id` (owner and idempotency key hashes shown as <hex>). */
async function keysOf(redis: Redis, prefix: string, id: string): Promise<string[]> {
  const found = await keysMentioning(redis, await redis.keys(`${prefix}:*`), id);
  return found.map((name) => name.slice(prefix.length + 1).replace(/[0-9a-f]{32}/g, '<hex>')).sort();
}

/** A job through an attempt to `failed` with a log, an output, secrets and an idempotency key; its attempt still open. */
async function finishedJob(store: JobStore, idempotencyKey: string) {
  const { job } = await store.create({
    spec: testSpec({ webhookUrl: 'https://example.com/hook' }),
    owner: 'alice',
    secretEnvSealed: sealJson(key, { TOKEN: 'hf_s3cret' }),
    idempotencyKey,
    requestHash: 'h1',
  });
  await store.setSecret(job.id, 'sshKeyPair', sealSecret(key, 'private key'));
  await store.transition(job.id, 'dispatch');
  await store.addAttempt(job.id, BOUND_ATTEMPT);
  await store.attemptDecided(job.id, 1, 'internal');
  await store.appendLog(job.id, 0, Buffer.from(`output of ${job.id}\n`));
  const outputs = join(store.outputsDir(job.id), 'workspace');
  await mkdir(outputs, { recursive: true });
  await writeFile(join(outputs, 'result.txt'), 'result');
  const failed = await store.transition(job.id, 'fail', { reason: 'internal', message: 'test' });
  return { id: job.id, finishedAt: Date.parse(failed.finishedAt ?? '') };
}

describe('retention', () => {
  it("purges a finished job's secrets only once every order of it has ended", async ({ store }) => {
    const { job } = await store.create({ spec: testSpec(), owner: 'alice' });
    await store.setSecret(job.id, 'sshKeyPair', sealSecret(key, 'private key'));
    expect(await store.purgeSecrets(job.id)).toBe('not-finished');
    expect(await store.unpurgedJobs(10)).toEqual([]);

    const { id } = await finishedJob(store, 'k1');
    expect(await store.unpurgedJobs(10)).toEqual([id]);
    expect(await store.purgeSecrets(id)).toBe('open-order');
    expect(await store.getSecret(id, 'sshKeyPair')).toBeDefined();
    await store.attemptEnded(id, 1, { spentUsd: 0.1 });
    expect(await store.purgeSecrets(id)).toBe('purged');
    expect(await store.getSecret(id, 'sshKeyPair')).toBeUndefined();
    expect(await store.getSecret(id, 'secretEnv')).toBeUndefined();
    expect(await store.unpurgedJobs(10)).toEqual([]);
    // A late writer (a worker past its lease) cannot bring a secret back.
    await expect(store.setSecret(id, 'sshKeyPair', sealSecret(key, 'again'))).rejects.toMatchObject({
      code: 'JOB_INVALID_TRANSITION',
    });
    expect(await store.getSecret(id, 'sshKeyPair')).toBeUndefined();
  });

  it('deletes everything of a finished job after the cutoff, and nothing before', async ({
    store,
    redis,
    prefix,
    dataDir,
  }) => {
    const { id, finishedAt } = await finishedJob(store, 'k2');
    const before = await keysOf(redis, prefix, id);
    expect(before).toEqual(
      [
        `jobstore:finished`,
        `jobstore:idem:<hex>`,
        `jobstore:index:all`,
        `jobstore:index:owner:<hex>`,
        `jobstore:index:owner:<hex>:state:failed`,
        `jobstore:index:state:failed`,
        `jobstore:job:${id}`,
        `jobstore:job:${id}:log-meta`,
        `jobstore:job:${id}:log-tail`,
        `jobstore:job:${id}:secrets`,
        `jobstore:outbox`,
        `jobstore:unpurged`,
      ].sort(),
    );
    expect(await readdir(join(dataDir, 'jobs'))).toEqual([id]);

    // Scored with Redis time as it finished (one clock for every writer).
    const finished = Number(await redis.zscore(`${prefix}:jobstore:finished`, id));
    expect(Math.abs(finished - finishedAt)).toBeLessThan(5_000);
    expect(await store.finishedBefore(finished - 1, 10)).toEqual([]);
    expect(await store.finishedBefore(finished, 10)).toEqual([id]);
    const created = Date.parse((await store.get(id)).createdAt);
    const past = { finishedBy: finished + HOUR, createdBefore: created + 1 };
    expect(await store.expire(id, past)).toBe('open-order');
    await store.attemptEnded(id, 1, { spentUsd: 0.1 });
    expect(await store.expire(id, { ...past, finishedBy: finished - 1 })).toBe('too-recent');
    // Created in the current spend period: the tenant's caps still count its bill.
    expect(await store.expire(id, { ...past, createdBefore: created })).toBe('spend-period');
    expect(await keysOf(redis, prefix, id)).toHaveLength(before.length);

    expect(await store.expire(id, past)).toBe('deleted');
    expect(await keysOf(redis, prefix, id)).toEqual([]);
    expect(await readdir(join(dataDir, 'jobs'))).toEqual([]);
    expect(await store.expire(id, past)).toBe('gone');
    // The idempotency key went with the job: the same key makes a new job.
    const again = await store.create({
      spec: testSpec(),
      owner: 'alice',
      idempotencyKey: 'k2',
      requestHash: 'h1',
    });
    expect(again.created).toBe(true);
  });

  it('keeps a running job whatever the cutoff', async ({ store }) => {
    const { job } = await store.create({ spec: testSpec(), owner: 'alice' });
    await store.transition(job.id, 'dispatch');
    expect(
      await store.expire(job.id, { finishedBy: Date.now() + 100 * HOUR, createdBefore: Date.now() + HOUR }),
    ).toBe('not-finished');
    expect((await store.get(job.id)).state).toBe('provisioning');
  });

  it('enters finished jobs missing from the finished index (older jobs, a lost write)', async ({
    store,
    redis,
    prefix,
  }) => {
    const { id, finishedAt } = await finishedJob(store, 'k3');
    await redis.del(`${prefix}:jobstore:finished`, `${prefix}:jobstore:unpurged`);
    expect(await store.finishedBefore(finishedAt, 10)).toEqual([]);
    expect(await store.indexFinished()).toBe(1);
    expect(await store.indexFinished()).toBe(0);
    expect(await store.finishedBefore(finishedAt, 10)).toEqual([id]);
    expect(await store.unpurgedJobs(10)).toEqual([id]);
  });

  it('deletes a sweep with its last job, and keeps it while any of its jobs is kept', async ({
    store,
    redis,
    prefix,
  }) => {
    const { sweep, jobs } = await store.createSweep({
      specs: [testSpec(), testSpec()],
      owner: 'alice',
      name: 'grid',
    });
    for (const job of jobs) {
      await store.transition(job.id, 'cancel');
    }
    const later = { finishedBy: Date.now() + HOUR, createdBefore: Date.now() + HOUR };
    expect(await store.expire(jobs[0]?.id ?? '', later)).toBe('deleted');
    // One job left: the sweep stays (its status lists what remains).
    expect((await store.getSweep(sweep.id)).jobIds).toHaveLength(2);
    expect(await store.expire(jobs[1]?.id ?? '', later)).toBe('deleted');
    await expect(store.getSweep(sweep.id)).rejects.toMatchObject({ code: 'SWEEP_NOT_FOUND' });
    expect(await keysOf(redis, prefix, sweep.id)).toEqual([]);
    expect((await store.listSweeps('alice')).sweeps).toEqual([]);
  });
});

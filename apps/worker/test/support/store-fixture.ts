import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createJobStore,
  type JobRecord,
  type JobSpecInput,
  type JobStore,
  parseJobSpec,
  toStoredSpec,
} from '@clore-batch/shared';
import { startRedis, trackRedis } from '@clore-batch/testing';
import { Redis } from 'ioredis';
import { afterEach, test as base } from 'vitest';
import { perFile } from './per-file';

/**
 * The job-store suites' `test` (call it at the top level of the file): one Redis per file; per test
 * a `store` with its own key prefix and data dir, closed and removed in an afterEach, before the
 * leak check runs (see per-file.ts).
 */
export function storeTest() {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) {
      await close();
    }
  });
  return base
    .extend(
      'redisServer',
      { scope: 'file', auto: true },
      perFile(
        () => startRedis(),
        (server) => server.stop(),
      ),
    )
    .extend('store', async ({ redisServer }): Promise<JobStore> => {
      const redis = trackRedis(new Redis(redisServer.url));
      const dataDir = await mkdtemp(join(tmpdir(), 'cb-store-'));
      const store = createJobStore({ redis, prefix: `test-${randomUUID()}`, dataDir, logTailBytes: 1024 });
      closers.push(async () => {
        await store.close();
        await redis.quit();
        await rm(dataDir, { recursive: true, force: true });
      });
      return store;
    });
}

/** A queued job (an RTX 4090 running `true`, $1/h cap, $1 budget unless `spec` says otherwise). */
export async function storedJob(store: JobStore, spec: Partial<JobSpecInput> = {}): Promise<JobRecord> {
  const parsed = parseJobSpec(
    {
      gpu: { model: 'RTX 4090' },
      image: 'ubuntu',
      command: 'true',
      maxPricePerHourUsd: 1,
      budgetUsd: 1,
      ...spec,
    },
    { currency: 'USD-Blockchain' },
  );
  return (await store.create({ spec: toStoredSpec(parsed), owner: 'test' })).job;
}

import { rejectionOf } from '@clore-batch/testing';
import { test as redisTest } from '@clore-batch/testing/fixtures';
import type { AppError } from '../src/errors/app-error';
import { parseJobSpec, type StoredJobSpec, toStoredSpec } from '../src/spec/job-spec';
import type { Attempt, JobRecord } from '../src/store/job-record';
import { createJobStore, type JobStore } from '../src/store/job-store';

/** What a test may set for its store (`test.override('storeOptions', {...})`). */
export interface StoreOptions {
  /** Bytes of log kept in Redis for followers (default 1024). */
  logTailBytes?: number;
  now?: () => Date;
}

/**
 * @clore-batch/testing's Redis fixtures plus `store`: a JobStore on the file's Redis under the
 * test's own prefix and data directory, closed after the test (its keys and files go with the prefix
 * and the directory). Also exported as `@clore-batch/shared/store-fixture` for the apps' tests.
 */
export const test = redisTest
  .extend('storeOptions', {} as StoreOptions)
  .extend('store', async ({ redis, prefix, dataDir, storeOptions }, { onCleanup }) => {
    const { logTailBytes = 1024, now } = storeOptions;
    const store = createJobStore({ redis, prefix, dataDir, logTailBytes, ...(now ? { now } : {}) });
    onCleanup(() => store.close());
    return store;
  });

export const it = test;

/** An attempt bound to order 7 on server 42 (an RTX 4090 at $0.50/h), for `store.addAttempt`. */
export const BOUND_ATTEMPT: Omit<Attempt, 'n'> = {
  serverId: 42,
  orderId: 7,
  gpu: 'NVIDIA GeForce RTX 4090',
  pricePerHourUsd: 0.5,
  currency: 'CLORE-Blockchain',
  startedAt: '2026-11-24T12:00:00.000Z',
  spentUsd: 0,
};

/** A new queued job (owner alice) with `testSpec(overrides)`. */
export async function createJob(
  store: JobStore,
  overrides: Record<string, unknown> = {},
): Promise<JobRecord> {
  return (await store.create({ spec: testSpec(overrides), owner: 'alice' })).job;
}

/** The AppError `promise` rejects with. */
export const rejection = (promise: Promise<unknown>): Promise<AppError> => rejectionOf<AppError>(promise);

/** A valid stored spec: one RTX 4090, `echo hello`, $1/h, a $5 budget; `overrides` on top. */
export function testSpec(overrides: Record<string, unknown> = {}): StoredJobSpec {
  return toStoredSpec(
    parseJobSpec(
      {
        gpu: { model: 'RTX 4090' },
        image: 'ubuntu:22.04',
        command: 'echo hello',
        maxPricePerHourUsd: 1,
        budgetUsd: 5,
        ...overrides,
      },
      { currency: 'CLORE-Blockchain' },
    ),
  );
}

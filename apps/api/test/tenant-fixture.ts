import {
  bullPrefix,
  createJobStore,
  JOBS_QUEUE,
  type JobStore,
  parseJobSpec,
  silentLogger,
  toStoredSpec,
  WEBHOOKS_QUEUE,
} from '@clore-batch/shared';
import { trackRedis } from '@clore-batch/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { buildApp } from '../src/app';
import { auth, type RedisServer, type TestApi, validSpec } from './support/api-kit';
import { assertAllDocumented, createContractCheck } from './support/openapi-contract';

/** Test-only helpers for the tenant-limit suites (on top of support/api-kit). */

export function submitter(api: TestApi) {
  return (
    who: 'alice' | 'bob' | 'root',
    spec: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) =>
    api.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { ...auth(who), ...headers },
      payload: validSpec(spec),
    });
}

/**
 * The provider's bill as the worker records it: the job dispatched, one attempt with `usd` spent,
 * and (`ended`) the attempt closed and the job failed.
 */
export async function bill(store: JobStore, id: string, usd: number, ended: boolean): Promise<void> {
  const at = new Date().toISOString();
  await store.transition(id, 'dispatch');
  await store.addAttempt(id, {
    serverId: 1,
    orderId: 1,
    gpu: 'NVIDIA GeForce RTX 4090',
    pricePerHourUsd: 0.5,
    currency: 'CLORE-Blockchain',
    startedAt: at,
    spentUsd: 0,
  });
  await store.attemptSpent(id, 1, usd);
  if (ended) {
    await store.attemptDecided(id, 1, 'provider_error');
    await store.attemptEnded(id, 1, { spentUsd: usd, endedAt: at });
    await store.transition(id, 'fail', { reason: 'provider_error' });
  }
}

/** A job of `owner` stored as if submitted at `at` (a store whose clock says so). */
export async function jobSubmittedAt(
  server: RedisServer,
  api: TestApi,
  at: Date,
  owner: string,
  budgetUsd: number,
): Promise<string> {
  const store = createJobStore({
    redis: server.redis,
    prefix: api.prefix,
    dataDir: api.dataDir,
    logTailBytes: 4096,
    now: () => at,
  });
  try {
    const spec = parseJobSpec(validSpec({ budgetUsd }), { currency: 'CLORE-Blockchain' });
    return (await store.create({ spec: toStoredSpec(spec), owner })).job.id;
  } finally {
    await store.close();
  }
}

/** A second API process on the same Redis and prefix (same config), listening on its own port. */
export async function secondProcess(server: RedisServer, api: TestApi) {
  const bull = trackRedis(new Redis(server.url, { maxRetriesPerRequest: null }), 'second bull connection');
  const store = createJobStore({
    redis: server.redis,
    prefix: api.prefix,
    dataDir: api.dataDir,
    logTailBytes: 4096,
  });
  const queue = new Queue(JOBS_QUEUE, { connection: bull, prefix: bullPrefix(api.prefix) });
  const webhookQueue = new Queue(WEBHOOKS_QUEUE, { connection: bull, prefix: bullPrefix(api.prefix) });
  const contract = createContractCheck();
  const app = await buildApp({
    config: api.config,
    logger: silentLogger(),
    redis: server.redis,
    store,
    queue,
    webhookQueue,
    onResponse: contract.observe,
  });
  contract.attach(app);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    async close() {
      await app.close();
      await queue.close();
      await webhookQueue.close();
      await store.close();
      await bull.quit();
      assertAllDocumented(contract);
    },
  };
}

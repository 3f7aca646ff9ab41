import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bullPrefix,
  type Config,
  createJobStore,
  type DeepReadonly,
  JOBS_QUEUE,
  type JobStore,
  loadConfig,
  silentLogger,
  WEBHOOKS_QUEUE,
} from '@clore-batch/shared';
import { type RedisHandle, startRedis, track, trackRedis } from '@clore-batch/testing';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { buildApp } from '../../src/app';
import type { DashboardOptions } from '../../src/dashboard/dashboard-plugin';
import { assertAllDocumented, createContractCheck } from './openapi-contract';

/** Test-only: a Redis per file, and per test an app with its own key prefix, data dir and queues. */
export const TOKENS = {
  alice: 'alice-submit-token-0123456789',
  bob: 'bob-submit-token-0123456789ab',
  root: 'root-admin-token-0123456789ab',
} as const;

export type Who = keyof typeof TOKENS;

export const SECRETS_KEY = 'test-secrets-key-0123456789abcdef0123456789';

export const auth = (who: Who) => ({ authorization: `Bearer ${TOKENS[who]}` });

export const validSpec = (overrides: Record<string, unknown> = {}) => ({
  gpu: { model: 'RTX 4090' },
  image: 'ubuntu:22.04',
  command: 'echo hello',
  maxPricePerHourUsd: 1,
  budgetUsd: 5,
  ...overrides,
});

export interface RedisServer {
  url: string;
  redis: Redis;
  stop(): Promise<void>;
}

export async function startRedisServer(): Promise<RedisServer> {
  const handle: RedisHandle = await startRedis();
  const redis = trackRedis(new Redis(handle.url, { maxRetriesPerRequest: null }));
  return {
    url: handle.url,
    redis,
    async stop() {
      await redis.quit();
      await handle.stop();
    },
  };
}

export interface TestApi {
  app: FastifyInstance;
  config: DeepReadonly<Config>;
  store: JobStore;
  queue: Queue;
  webhookQueue: Queue;
  prefix: string;
  dataDir: string;
  /**
   * Closes the app and its queues, then throws if a route answered a status its OpenAPI operation
   * does not list (the contract check, decision 0138): document the status, it is real.
   */
  close(): Promise<void>;
}

export function testConfig(url: string, prefix: string, dataDir: string, env: Record<string, string> = {}) {
  return loadConfig({
    SECRETS_KEY,
    REDIS_URL: url,
    REDIS_PREFIX: prefix,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    API_TOKENS: `alice:submit:${TOKENS.alice},bob:submit:${TOKENS.bob},root:admin:${TOKENS.root}`,
    ...env,
  });
}

export interface OpenApiOptions {
  /** Wrap the store the app sees (e.g. to count what it reads). */
  wrapStore?: (store: JobStore) => JobStore;
  /** Mount the dashboard plugin (/admin) with these options. */
  dashboard?: DashboardOptions;
}

export async function openApi(
  server: RedisServer,
  env: Record<string, string> = {},
  options: OpenApiOptions = {},
): Promise<TestApi> {
  const prefix = `test-${randomUUID()}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'cb-api-'));
  const config = testConfig(server.url, prefix, dataDir, env);
  const bull = trackRedis(new Redis(server.url, { maxRetriesPerRequest: null }), 'bull connection');
  const store = createJobStore({ redis: server.redis, prefix, dataDir, logTailBytes: 4096 });
  const queue = new Queue(JOBS_QUEUE, { connection: bull, prefix: bullPrefix(prefix) });
  const webhookQueue = new Queue(WEBHOOKS_QUEUE, { connection: bull, prefix: bullPrefix(prefix) });
  let closing: Promise<void> | undefined;
  const contract = createContractCheck();
  // Imported only here: the plugin (bull-board, the views) would add seconds to every file's import.
  const plugins =
    options.dashboard === undefined
      ? []
      : [(await import('../../src/dashboard/dashboard-plugin')).createDashboardPlugin(options.dashboard)];
  const app = track(
    await buildApp({
      config,
      logger: silentLogger(),
      redis: server.redis,
      store: options.wrapStore ? options.wrapStore(store) : store,
      queue,
      webhookQueue,
      plugins,
      onResponse: contract.observe,
    }),
    'fastify app',
    (a) => !a.server.listening && closedApps.has(a),
  );
  contract.attach(app);
  return {
    app,
    config,
    store,
    queue,
    webhookQueue,
    prefix,
    dataDir,
    /** Once: the fixture closes every app it opened, a test may close one earlier. */
    async close() {
      closing ??= (async () => {
        await app.close();
        closedApps.add(app);
        await queue.obliterate({ force: true }).catch(() => undefined);
        await webhookQueue.obliterate({ force: true }).catch(() => undefined);
        await queue.close();
        await webhookQueue.close();
        await store.close();
        await bull.quit();
        const keys = await server.redis.keys(`${prefix}:*`);
        if (keys.length > 0) {
          await server.redis.del(...keys);
        }
        await rm(dataDir, { recursive: true, force: true });
      })();
      await closing;
      assertAllDocumented(contract);
    },
  };
}

const closedApps = new WeakSet<FastifyInstance>();

/** POST /v1/jobs through the app (no socket), as `who`. */
export function submitJob(
  api: TestApi,
  who: Who = 'alice',
  body: unknown = validSpec(),
  headers: Record<string, string> = {},
) {
  return api.app.inject({
    method: 'POST',
    url: '/v1/jobs',
    headers: { ...auth(who), ...headers },
    payload: body as object,
  });
}

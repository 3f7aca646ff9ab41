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
  parseJobSpec,
  silentLogger,
  toStoredSpec,
  WEBHOOKS_QUEUE,
} from '@clore-batch/shared';
import { type RedisHandle, startRedis, trackRedis } from '@clore-batch/testing';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { buildApp } from '../app';
import type { ApiDeps } from '../deps';
import { createDashboardPlugin, type DashboardOptions } from './dashboard-plugin';

/** Test-only: the tokens every dashboard test configures. */
export const TOKENS = {
  admin: 'admin-token-0123456789abcdef',
  submit: 'submit-token-0123456789abcdef',
} as const;

export interface DashboardServer {
  url: string;
  redis: Redis;
  stop(): Promise<void>;
}

/** One Redis per test file (the given REDIS_URL, or a private server when `private`). */
export async function startDashboardRedis(options: { private?: boolean } = {}): Promise<DashboardServer> {
  const handle: RedisHandle = await startRedis(options);
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

export interface DashboardFixture {
  app: FastifyInstance;
  config: DeepReadonly<Config>;
  store: JobStore;
  queue: Queue;
  webhookQueue: Queue;
  deps: ApiDeps;
  close(): Promise<void>;
}

/** Per test: the API with the dashboard plugin, its own key prefix, data dir and queues. */
export async function openDashboardApp(
  server: DashboardServer,
  env: Record<string, string> = {},
  options: DashboardOptions = {},
): Promise<DashboardFixture> {
  const prefix = `test-${randomUUID()}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'cb-dash-'));
  const config = loadConfig({
    SECRETS_KEY: 'dashboard-test-secrets-key-0123456789',
    REDIS_URL: server.url,
    REDIS_PREFIX: prefix,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    API_TOKENS: `root:admin:${TOKENS.admin},alice:submit:${TOKENS.submit}`,
    ...env,
  });
  const store = createJobStore({ redis: server.redis, prefix, dataDir, logTailBytes: config.LOG_TAIL_BYTES });
  const queueConnection = trackRedis(new Redis(server.url, { maxRetriesPerRequest: null }));
  const queue = new Queue(JOBS_QUEUE, { connection: queueConnection, prefix: bullPrefix(prefix) });
  const webhookQueue = new Queue(WEBHOOKS_QUEUE, { connection: queueConnection, prefix: bullPrefix(prefix) });
  const deps: ApiDeps = {
    config,
    logger: silentLogger(),
    redis: server.redis,
    store,
    queue,
    webhookQueue,
    plugins: [createDashboardPlugin(options)],
  };
  const app = await buildApp(deps);
  return {
    app,
    config,
    store,
    queue,
    webhookQueue,
    deps,
    async close() {
      await app.close();
      await queue.close();
      await webhookQueue.close();
      await queueConnection.quit();
      await store.close();
      const keys = await server.redis.keys(`${prefix}:*`);
      if (keys.length > 0) {
        await server.redis.del(...keys);
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A stored job (as the API would create it), optionally with secretEnv values sealed apart. */
export async function createTestJob(
  store: JobStore,
  spec: Record<string, unknown> = {},
  owner = 'alice',
): Promise<string> {
  const parsed = parseJobSpec(
    {
      gpu: { model: 'RTX 4090' },
      image: 'ubuntu:22.04',
      command: 'echo hi',
      maxPricePerHourUsd: 1,
      budgetUsd: 5,
      ...spec,
    },
    { currency: 'USD-Blockchain' },
  );
  const { job } = await store.create({ spec: toStoredSpec(parsed), owner });
  return job.id;
}

/** POST /admin/login with a token; returns the response and the session cookie, if one was set. */
export async function login(app: FastifyInstance, token: string) {
  const response = await app.inject({
    method: 'POST',
    url: '/admin/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ token }).toString(),
  });
  const cookie = response.cookies.find((c) => c.name === 'cb_admin');
  return { response, cookie: cookie === undefined ? undefined : `cb_admin=${cookie.value}` };
}

/** The CSRF token the page would read from its meta tag. */
export async function csrfOf(app: FastifyInstance, cookie: string): Promise<string> {
  const page = await app.inject({ method: 'GET', url: '/admin', headers: { cookie } });
  const match = /<meta name="csrf-token" content="([^"]+)">/.exec(page.body);
  if (match?.[1] === undefined) {
    throw new Error(`no CSRF meta tag on /admin (status ${page.statusCode})`);
  }
  return match[1];
}

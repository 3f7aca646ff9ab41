import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SimHandle, startSimulator } from '@clore-batch/clore-sim';
import {
  bullPrefix,
  createJobStore,
  createLogger,
  JOBS_QUEUE,
  loadConfig,
  type RedisKeyType,
  redisKeys,
  silentLogger,
  WEBHOOKS_QUEUE,
} from '@clore-batch/shared';
import { keysMentioning, type RedisHandle, startRedis, trackRedis, waitFor } from '@clore-batch/testing';
import { type RunningWorker, startWorker } from '@clore-batch/worker';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboardPlugin } from '../src/dashboard/dashboard-plugin';
import { startRetentionSweep } from '../src/retention/retention-sweep';
import { type RunningApi, startApi } from '../src/start-api';

/**
 * The key registry covers the whole deployment (docs/decisions/0127). The API (with the dashboard
 * and its webhook sender) and a worker run in-process against a private Redis, the Clore simulator
 * over HTTP and a real sshd per order: a job that succeeds and sends a webhook, a job cancelled while
 * it runs, an idempotent submission, a dashboard login and its views, a metrics scrape. Then every
 * key in Redis is read with SCAN: each must be under the deployment's prefix, described by
 * `redisKeys(prefix).describes`, and of the Redis type its entry states. (Here, not in
 * apps/worker/test: the worker package cannot depend on the API, which depends on it.)
 */
const PREFIX = 'keys-e2e';
const CLORE_KEY = `clore-key-${randomUUID()}`;
const TOKENS = { alice: `alice-${randomUUID()}`, root: `root-${randomUUID()}` };

let redis: RedisHandle;
let sim: SimHandle;
let api: RunningApi;
let worker: RunningWorker;
let dataDir: string;
let receiver: Server;
let hookUrl: string;
const hooks: string[] = [];

beforeAll(async () => {
  redis = await startRedis({ private: true });
  sim = await startSimulator({
    keys: [{ key: CLORE_KEY, balances: { 'USD-Blockchain': 1_000 } }],
    limits: { generalMs: 50, createMs: 250 },
    provisioningMs: [100, 300],
  });
  receiver = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      hooks.push(body);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  dataDir = await mkdtemp(join(tmpdir(), 'cb-keys-e2e-'));
  const config = loadConfig({
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    REDIS_URL: redis.url,
    REDIS_PREFIX: PREFIX,
    DATA_DIR: dataDir,
    SECRETS_KEY: `secrets-key-${randomUUID()}`,
    API_TOKENS: `alice:submit:${TOKENS.alice},root:admin:${TOKENS.root}`,
    CLORE_API_URL: sim.url,
    CLORE_API_KEY: CLORE_KEY,
    CLORE_CURRENCY: 'USD-Blockchain',
    CLORE_GENERAL_SPACING_MS: '60',
    CLORE_CREATE_SPACING_MS: '260',
    CLORE_TIMEOUT_MS: '2000',
    ORDER_POLL_INTERVAL_MS: '200',
    MARKETPLACE_REFRESH_MS: '1000',
    PROVISION_TIMEOUT_SECONDS: '8',
    REAPER_GRACE_SECONDS: '1',
    WORKER_LOCK_DURATION_MS: '2000',
    WORKER_KILL_GRACE_SECONDS: '1',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    // The edge's keys too: a tenant limit takes the per-tenant submit lock.
    TENANT_LIMITS: JSON.stringify({ alice: { maxQueuedJobs: 10, dailySpendUsd: 100 } }),
  });
  const logger = createLogger({ level: config.LOG_LEVEL });
  api = await startApi(config, { logger, host: '127.0.0.1', port: 0, plugins: [createDashboardPlugin()] });
  worker = await startWorker({
    config,
    logger,
    settings: {
      sshRetryMs: { initial: 100, max: 500 },
      logPollMs: 50,
      orderLookupMs: 3_000,
      releaseConfirmMs: 3_000,
      cancelPollMs: 250,
    },
    fleetSettings: { leaderTtlMs: 2_000, cancelConfirmMs: 1_000, cancelRetryBaseMs: 200 },
  });
});

afterAll(async () => {
  await worker?.close();
  await api?.close();
  await sim?.close();
  await new Promise((resolve) => receiver?.close(resolve));
  await redis?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function call(path: string, init: RequestInit = {}, token = TOKENS.alice): Promise<Response> {
  return fetch(`${api.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
  });
}

async function submit(command: string, extra: Record<string, unknown> = {}, idempotencyKey?: string) {
  const response = await call('/v1/jobs', {
    method: 'POST',
    headers: idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey },
    body: JSON.stringify({
      gpu: { model: ['RTX 3090', 'RTX 4090'] },
      image: 'ubuntu:22.04',
      command,
      maxPricePerHourUsd: 5,
      budgetUsd: 50,
      minReliability: 0,
      timeoutSeconds: 120,
      ...extra,
    }),
  });
  // 201 created; 200 for a repeat of an idempotent submission.
  expect([200, 201]).toContain(response.status);
  return ((await response.json()) as { id: string }).id;
}

async function stateOf(id: string): Promise<string> {
  return ((await (await call(`/v1/jobs/${id}`)).json()) as { state: string }).state;
}

async function waitState(id: string, state: string): Promise<void> {
  await waitFor(async () => (await stateOf(id)) === state, {
    timeoutMs: 60_000,
    message: `job ${id} ${state}`,
  });
}

/** Every key of the (private) Redis, with its type, read with SCAN (after `control` is written). */
async function scanAll(url: string, control: string): Promise<Map<string, string>> {
  const client = trackRedis(new Redis(url));
  const found = new Map<string, string>();
  try {
    await client.set(control, 'a key no registry entry describes: the check must find it');
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'COUNT', 500);
      cursor = next;
      for (const key of keys) {
        found.set(key, await client.type(key));
      }
    } while (cursor !== '0');
  } finally {
    await client.quit();
  }
  return found;
}

describe('the Redis key registry', () => {
  it('describes every key an end-to-end run writes, with its type', async () => {
    // The dashboard: a login (an admin session) and its fleet views.
    const login = await fetch(`${api.url}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: TOKENS.root }).toString(),
      redirect: 'manual',
    });
    expect(login.status).toBe(303);
    const cookie = login.headers.get('set-cookie')?.split(';')[0] ?? '';
    expect(cookie).toMatch(/^cb_admin=/);

    const done = await submit('echo hello', { webhookUrl: hookUrl }, 'keys-e2e-1');
    const again = await submit('echo hello', { webhookUrl: hookUrl }, 'keys-e2e-1');
    expect(again).toBe(done);
    const cancelled = await submit('sleep 60');
    await waitState(done, 'succeeded');
    await waitFor(() => hooks.some((body) => body.includes(done)), {
      message: 'the webhook of the finished job',
    });
    await waitState(cancelled, 'running');
    expect((await call(`/v1/jobs/${cancelled}/cancel`, { method: 'POST', body: '{}' })).status).toBe(202);
    await waitState(cancelled, 'cancelled');

    for (const view of ['orders', 'money', 'limiter', 'summary', 'jobs']) {
      const response = await fetch(`${api.url}/admin/api/${view}`, { headers: { cookie } });
      expect(response.status, `/admin/api/${view}`).toBe(200);
    }
    expect((await call('/metrics', {}, TOKENS.root)).status).toBe(200);
    // A failed authentication is counted per client address.
    expect((await call('/v1/jobs', {}, 'not-a-token')).status).toBe(401);
    await waitFor(
      async () =>
        (
          (await fetch(`${sim.url}/_sim/orders`).then((r) => r.json())) as { orders: { active: boolean }[] }
        ).orders.every((o) => !o.active),
      { timeoutMs: 30_000, message: 'every order ended' },
    );

    const keys = redisKeys(PREFIX);
    const control = `${PREFIX}:fleet:not-in-the-registry`;
    const found = await scanAll(redis.url, control);
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const [key, type] of found) {
      const entry = keys.describes(key);
      if (entry === undefined) {
        problems.push(`${key} (${type}): no registry entry describes it`);
      } else if (entry.type !== 'bullmq' && entry.type !== (type as RedisKeyType)) {
        problems.push(`${key}: a ${type}, the registry says ${entry.type} (${entry.pattern})`);
      } else {
        seen.add(entry.pattern);
      }
    }
    expect(problems).toEqual([`${control} (string): no registry entry describes it`]);
    // The run reached every namespace (the test would prove little otherwise).
    for (const pattern of [
      'jobstore:job:<id>',
      'jobstore:idem:<hex>',
      'fleet:orders',
      'fleet:leader',
      'fleet:marketplace',
      'bull:jobs:<rest>',
      'bull:webhooks:<rest>',
      'clore-limiter:{<hex>}:state',
      'metrics:<id>',
      'api-rate:<rest>',
      'admin:session:<hex>',
      'auth-fail:<hex>',
    ]) {
      expect(seen, `no key of ${pattern} was written`).toContain(pattern);
    }
    console.warn(
      `redis-keys.e2e: ${found.size} keys, ${seen.size} registry entries seen: ${[...seen].join(', ')}`,
    );
  });

  it('retention: secrets go when the job ends, everything else of it after JOB_RETENTION_SECONDS', async () => {
    const dir = `/tmp/cb-retention-${randomUUID()}`;
    const id = await submit(
      `mkdir -p ${dir} && echo "result of the run" > ${dir}/result.txt && echo "the log of the run"`,
      { webhookUrl: hookUrl, outputs: [`${dir}/result.txt`], secretEnv: { TOKEN: 'retention-s3cret' } },
      'retention-1',
    );
    await waitState(id, 'succeeded');
    await waitFor(() => hooks.some((body) => body.includes(id)), { message: 'the webhook of the job' });
    const keys = redisKeys(PREFIX);
    const client = trackRedis(new Redis(redis.url));
    try {
      // The worker purged the sealed secretEnv and SSH key pair as the job ended (its order had ended).
      await waitFor(async () => (await client.exists(keys.store.secrets(id))) === 0, {
        message: 'the job secrets purged',
      });
      const before = await mentionsOf(client, id);
      expect(before.keys).toEqual(expect.arrayContaining([`${PREFIX}:jobstore:job:${id}`]));
      expect(before.keys.some((key) => key.startsWith(`${PREFIX}:bull:jobs:`))).toBe(true);
      expect(before.keys.some((key) => key.startsWith(`${PREFIX}:bull:webhooks:`))).toBe(true);
      expect(before.files.length).toBeGreaterThanOrEqual(2); // the log and the output

      // The API's sweep (default 30 days) leaves it; one that lives 31 days later deletes all of it.
      expect((await api.retention.runOnce()).deleted).toEqual([]);
      const store = createJobStore({ redis: client, prefix: PREFIX, dataDir, logTailBytes: 1024 });
      const bull = new Redis(redis.url, { maxRetriesPerRequest: null });
      const queue = new Queue(JOBS_QUEUE, { connection: bull, prefix: bullPrefix(PREFIX) });
      const webhookQueue = new Queue(WEBHOOKS_QUEUE, { connection: bull, prefix: bullPrefix(PREFIX) });
      const later = startRetentionSweep({
        store,
        redis: client,
        prefix: PREFIX,
        queue,
        webhookQueue,
        logger: silentLogger(),
        retentionMs: 30 * 86_400_000,
        intervalMs: 3_600_000,
        webhookMaxAttempts: 5,
        now: () => Date.now() + 32 * 86_400_000,
      });
      try {
        expect((await later.runOnce()).deleted).toContain(id);
      } finally {
        await later.stop();
        await queue.close();
        await webhookQueue.close();
        await store.close();
        await bull.quit();
      }
      const after = await mentionsOf(client, id);
      // A server that refused one of the job's orders is left alone by every job for 5 minutes
      // (refusedServerMs) under a claim naming the job (`refused:<id>`, the simulator refuses some
      // creates at random): it expires on its own, long before any retention. Any other key stays.
      const lasting: string[] = [];
      for (const key of after.keys) {
        const ttlMs = await client.pttl(key);
        if (!(ttlMs > 0 && ttlMs <= 5 * 60_000)) {
          lasting.push(key);
        }
      }
      expect({ keys: lasting, files: after.files }).toEqual({ keys: [], files: [] });
      expect((await call(`/v1/jobs/${id}`)).status).toBe(404);
    } finally {
      await client.quit();
    }
  });
});

/**
 * Every key whose name, value, fields or members name the job id, and every file under DATA_DIR
 * whose path does. BullMQ's own event streams are left out: BullMQ trims them by length
 * (docs/decisions/0133).
 */
async function mentionsOf(client: Redis, id: string): Promise<{ keys: string[]; files: string[] }> {
  const found = await keysMentioning(client, (await scanAll(redis.url, `${PREFIX}:control`)).keys(), id);
  const files = (await readdir(dataDir, { recursive: true })).filter((path) => path.includes(id));
  return { keys: found, files };
}

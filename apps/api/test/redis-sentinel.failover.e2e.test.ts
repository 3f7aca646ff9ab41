import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SimHandle, startSimulator } from '@clore-batch/clore-sim';
import { createLogger, createRedis, loadConfig, redisKeys } from '@clore-batch/shared';
import { type SentinelGroupHandle, startSentinelGroup, trackRedis, waitFor } from '@clore-batch/testing';
import { type RunningWorker, startWorker } from '@clore-batch/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApi, startApi } from '../src/start-api';

/**
 * Redis Sentinel failover under load (docs/decisions/0145): a master, a replica and three sentinels;
 * the API and two workers reach Redis only through the sentinels (REDIS_SENTINELS), the simulator
 * over HTTP with a real sshd per order. Jobs are submitted through the API, the master is SIGKILLed
 * while they run, the sentinels promote the replica. Every job must end succeeded with exit code 0
 * and its whole log, no order may stay active, no order may be doubled, and the simulator must
 * never have answered code 5 (the shared limiter kept its schedule across the failover).
 */
const KEY = `clore-key-${randomUUID()}`;
const TOKEN = `alice-${randomUUID()}`;
const JOBS = 4;
const LINES = 30;

let group: SentinelGroupHandle;
let sim: SimHandle;
let api: RunningApi;
const workers: RunningWorker[] = [];
let dataDir: string;

beforeAll(async () => {
  group = await startSentinelGroup({ downAfterMs: 1_000, failoverTimeoutMs: 3_000 });
  sim = await startSimulator({
    keys: [{ key: KEY, balances: { 'USD-Blockchain': 1_000 } }],
    limits: { generalMs: 50, createMs: 250 },
    provisioningMs: [100, 300],
  });
  dataDir = await mkdtemp(join(tmpdir(), 'cb-sentinel-e2e-'));
  const config = loadConfig({
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // Sentinel mode: only the scheme, credentials and database of REDIS_URL are used, not its host.
    REDIS_URL: 'redis://via-sentinels',
    REDIS_SENTINELS: group.sentinels,
    REDIS_SENTINEL_NAME: group.name,
    REDIS_PREFIX: 'e2e',
    DATA_DIR: dataDir,
    SECRETS_KEY: `secrets-key-${randomUUID()}`,
    API_TOKENS: `alice:submit:${TOKEN}`,
    CLORE_API_URL: sim.url,
    CLORE_API_KEY: KEY,
    CLORE_CURRENCY: 'USD-Blockchain',
    CLORE_GENERAL_SPACING_MS: '100', // the worker e2e kit's margins over the simulator's 50 / 250 ms
    CLORE_CREATE_SPACING_MS: '300',
    CLORE_TIMEOUT_MS: '2000',
    ORDER_POLL_INTERVAL_MS: '200',
    MARKETPLACE_REFRESH_MS: '1000',
    PROVISION_TIMEOUT_SECONDS: '10',
    REAPER_GRACE_SECONDS: '2',
    WORKER_LOCK_DURATION_MS: '5000',
    WORKER_KILL_GRACE_SECONDS: '1',
    WORKER_CONCURRENCY: '2',
  });
  const logger = createLogger({ level: config.LOG_LEVEL });
  api = await startApi(config, { logger, host: '127.0.0.1', port: 0, webhooks: false });
  for (let i = 0; i < 2; i += 1) {
    workers.push(
      await startWorker({
        config,
        logger,
        settings: {
          sshRetryMs: { initial: 100, max: 500 },
          logPollMs: 50,
          reconnectWindowMs: 20_000,
          orderLookupMs: 6_000,
          releaseConfirmMs: 3_000,
          cancelPollMs: 250,
        },
        fleetSettings: { leaderTtlMs: 3_000, cancelConfirmMs: 1_000, cancelRetryBaseMs: 200 },
      }),
    );
  }
}, 60_000);

afterAll(async () => {
  for (const worker of workers) {
    await worker.close();
  }
  await api?.close();
  await sim?.close();
  await group?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

interface ApiJob {
  id: string;
  state: string;
  exitCode?: number;
  attempts: { n: number; orderId?: number }[];
}

async function call(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${api.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...init.headers },
  });
}

async function getJob(id: string): Promise<ApiJob> {
  const response = await call(`/v1/jobs/${id}`);
  if (response.status !== 200) {
    throw new Error(`GET /v1/jobs/${id}: ${response.status}`);
  }
  return (await response.json()) as ApiJob;
}

interface SimOrder {
  id: number;
  active: boolean;
  createdAt: number;
}

async function simGet<T>(path: string): Promise<T> {
  return (await (await fetch(`${sim.url}${path}`)).json()) as T;
}

const expectedLog = Array.from({ length: LINES }, (_, i) => `line ${i + 1}\n`).join('');

describe('Redis Sentinel failover', () => {
  it('the master SIGKILLed mid-run: every job succeeds with its whole log, no order leaks or doubles, no code 5', async () => {
    const since = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < JOBS; i += 1) {
      const response = await call('/v1/jobs', {
        method: 'POST',
        headers: { 'idempotency-key': `failover-${i}` },
        body: JSON.stringify({
          gpu: { model: ['RTX 3090', 'RTX 4090'] },
          image: 'ubuntu:22.04',
          command: `for i in $(seq 1 ${LINES}); do echo "line $i"; sleep 0.2; done`,
          maxPricePerHourUsd: 5,
          budgetUsd: 50,
          minReliability: 0,
          timeoutSeconds: 120,
        }),
      });
      expect(response.status).toBe(201);
      ids.push(((await response.json()) as { id: string }).id);
    }
    // Mid-run: one job's command is printing and every job has an order.
    await waitFor(
      async () => {
        const jobs = await Promise.all(ids.map(getJob));
        return (
          jobs.some((j) => j.state === 'running') && jobs.every((j) => j.attempts.some((a) => a.orderId))
        );
      },
      { timeoutMs: 30_000, intervalMs: 100, message: 'a job running and every job with an order' },
    );
    const oldMaster = await group.masterPort();
    const killedAt = Date.now();
    await group.servers[0]?.kill();
    const newMaster = await group.waitForFailover(oldMaster);
    const failoverMs = Date.now() - killedAt;

    const done = await Promise.all(
      ids.map((id) =>
        waitFor(
          async () => {
            const job = await getJob(id);
            return ['succeeded', 'failed', 'cancelled'].includes(job.state) ? job : undefined;
          },
          { timeoutMs: 60_000, intervalMs: 200, message: `job ${id} to end` },
        ),
      ),
    );
    for (const job of done) {
      expect(job, JSON.stringify(job)).toMatchObject({ state: 'succeeded', exitCode: 0 });
      expect(await (await call(`/v1/jobs/${job.id}/logs`)).text()).toBe(expectedLog);
    }
    // Every submitted job is still listed: none lost with the old master.
    const listed = (await (await call('/v1/jobs?limit=100')).json()) as { jobs: { id: string }[] };
    expect(listed.jobs.map((j) => j.id).sort()).toEqual([...ids].sort());
    // No order left billing, and every order made is the order of exactly one attempt.
    await waitFor(
      async () => (await simGet<{ orders: SimOrder[] }>('/_sim/orders')).orders.every((o) => !o.active),
      {
        timeoutMs: 20_000,
        message: 'no active order at the simulator',
      },
    );
    const orders = (await simGet<{ orders: SimOrder[] }>('/_sim/orders')).orders.filter(
      (o) => o.createdAt >= since,
    );
    const attemptOrders = done
      .flatMap((j) => j.attempts.map((a) => a.orderId))
      .filter((o) => o !== undefined);
    expect(new Set(attemptOrders).size).toBe(attemptOrders.length);
    expect(orders.map((o) => o.id).sort((a, b) => a - b)).toEqual([...attemptOrders].sort((a, b) => a - b));
    const calls = (await simGet<{ calls: { code: number; at: number; endpoint: string }[] }>('/_sim/calls'))
      .calls;
    const refusals = calls.filter((c) => c.code === 5);
    expect(
      refusals,
      `killed at ${killedAt}, failover ${failoverMs} ms; ${JSON.stringify(calls.map((c) => [c.at - killedAt, c.endpoint, c.code]))}`,
    ).toHaveLength(0);
    // The new master is the one the API and the workers now write to.
    const probe = trackRedis(
      createRedis({ REDIS_URL: `redis://127.0.0.1:${newMaster}`, REDIS_SENTINEL_TLS: false }),
    );
    expect(await probe.exists(redisKeys('e2e').store.job(ids[0] as string))).toBe(1);
    await probe.quit();
    console.warn(
      `sentinel failover: promoted in ${failoverMs} ms; ${JOBS} jobs, ${attemptOrders.length} attempts, ${calls.length} Clore calls`,
    );
  }, 120_000);
});

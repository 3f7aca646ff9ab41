import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SimHandle, startSimulator } from '@clore-batch/clore-sim';
import { createLogger, loadConfig } from '@clore-batch/shared';
import { type SentinelGroupHandle, startSentinelGroup } from '@clore-batch/testing';
import { type RunningWorker, startWorker } from '@clore-batch/worker';
import { type RunningApi, startApi } from '../../src/start-api';

/**
 * The whole deployment on a Redis Sentinel group (docs/decisions/0145): a master, a replica and three
 * sentinels; the API and `workers` in-process reaching Redis only through the sentinels; the
 * simulator over HTTP with a real sshd per order; the e2e kits' scaled timings.
 */
export interface SentinelStack {
  group: SentinelGroupHandle;
  sim: SimHandle;
  api: RunningApi;
  workers: RunningWorker[];
  /** `REDIS_PREFIX` of this deployment. */
  prefix: string;
  call(path: string, init?: RequestInit): Promise<Response>;
  getJob(id: string): Promise<ApiJob>;
  submit(command: string, key: string): Promise<string>;
  simOrders(): Promise<SimOrder[]>;
  simCalls(): Promise<{ code: number; at: number; endpoint: string }[]>;
  close(): Promise<void>;
}

export interface ApiJob {
  id: string;
  state: string;
  exitCode?: number;
  attempts: { n: number; orderId?: number }[];
}

export interface SimOrder {
  id: number;
  active: boolean;
  createdAt: number;
  endReason?: string;
}

export async function startSentinelStack(workerCount = 2): Promise<SentinelStack> {
  const key = `clore-key-${randomUUID()}`;
  const token = `alice-${randomUUID()}`;
  const prefix = 'e2e';
  const group = await startSentinelGroup({ downAfterMs: 1_000, failoverTimeoutMs: 3_000 });
  const sim = await startSimulator({
    keys: [{ key, balances: { 'USD-Blockchain': 1_000 } }],
    limits: { generalMs: 50, createMs: 250 },
    provisioningMs: [100, 300],
  });
  const dataDir = await mkdtemp(join(tmpdir(), 'cb-sentinel-e2e-'));
  const config = loadConfig({
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // Sentinel mode: only the scheme, credentials and database of REDIS_URL are used, not its host.
    REDIS_URL: 'redis://via-sentinels',
    REDIS_SENTINELS: group.sentinels,
    REDIS_SENTINEL_NAME: group.name,
    REDIS_PREFIX: prefix,
    DATA_DIR: dataDir,
    SECRETS_KEY: `secrets-key-${randomUUID()}`,
    API_TOKENS: `alice:submit:${token}`,
    CLORE_API_URL: sim.url,
    CLORE_API_KEY: key,
    CLORE_CURRENCY: 'USD-Blockchain',
    // 4× the simulator's 50 / 250 ms: HTTP latency on a loaded machine once let two calls sent
    // 100 ms apart arrive 34 ms apart (a code 5 unrelated to Redis).
    CLORE_GENERAL_SPACING_MS: '200',
    CLORE_CREATE_SPACING_MS: '400',
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
  const api = await startApi(config, { logger, host: '127.0.0.1', port: 0, webhooks: false });
  const workers: RunningWorker[] = [];
  for (let i = 0; i < workerCount; i += 1) {
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
  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${api.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
    });
  const simGet = async <T>(path: string): Promise<T> =>
    (await (await fetch(`${sim.url}${path}`)).json()) as T;
  return {
    group,
    sim,
    api,
    workers,
    prefix,
    call,
    async getJob(id) {
      const response = await call(`/v1/jobs/${id}`);
      if (response.status !== 200) {
        throw new Error(`GET /v1/jobs/${id}: ${response.status}`);
      }
      return (await response.json()) as ApiJob;
    },
    async submit(command, idempotencyKey) {
      const response = await call('/v1/jobs', {
        method: 'POST',
        headers: { 'idempotency-key': idempotencyKey },
        body: JSON.stringify({
          gpu: { model: ['RTX 3090', 'RTX 4090'] },
          image: 'ubuntu:22.04',
          command,
          maxPricePerHourUsd: 5,
          budgetUsd: 50,
          minReliability: 0,
          timeoutSeconds: 120,
        }),
      });
      if (response.status !== 201) {
        throw new Error(`POST /v1/jobs: ${response.status} ${await response.text()}`);
      }
      return ((await response.json()) as { id: string }).id;
    },
    simOrders: async () => (await simGet<{ orders: SimOrder[] }>('/_sim/orders')).orders,
    simCalls: async () =>
      (await simGet<{ calls: { code: number; at: number; endpoint: string }[] }>('/_sim/calls')).calls,
    async close() {
      for (const worker of workers) {
        await worker.close();
      }
      await api.close();
      await sim.close();
      await group.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

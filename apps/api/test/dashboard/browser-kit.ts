import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SimHandle, startSimulator } from '@clore-batch/clore-sim';
import { type Config, type DeepReadonly, loadConfig, silentLogger } from '@clore-batch/shared';
import { type RedisHandle, startRedis } from '@clore-batch/testing';
import { type RunningWorker, startWorker } from '@clore-batch/worker';
import { type Browser, chromium } from 'playwright-core';
import { createDashboardPlugin } from '../../src/dashboard/dashboard-plugin';
import { type RunningApi, startApi } from '../../src/start-api';

export const CHROMIUM = '/usr/bin/chromium';
export const ADMIN_TOKEN = 'browser-admin-token-0123456789';
export const SUBMIT_TOKEN = 'browser-submit-token-0123456789';
/**
 * The tests' own reads (`waitFor` polls a job every 25 ms): an admin token of their own, so they do
 * not spend the browser's API_RATE_LIMIT_PER_MINUTE budget and turn the dashboard's polls into 429s.
 */
export const PROBE_TOKEN = 'browser-probe-token-0123456789';
const SIM_KEY = 'browser-sim-key';

/** Flags that work here as root (brief and docs/dashboard.md); playwright adds a fresh profile dir. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Whether the browser tests run: always when CLORE_BATCH_BROWSER_TESTS=1 (and then a missing
 * Chromium is a failure with a clear message, not a skip); otherwise only when Chromium exists.
 */
export function browserTestsEnabled(): boolean {
  return process.env.CLORE_BATCH_BROWSER_TESTS === '1' || existsSync(CHROMIUM);
}

export async function launchChromium(executablePath = CHROMIUM): Promise<Browser> {
  if (!existsSync(executablePath)) {
    throw new Error(
      `CLORE_BATCH_BROWSER_TESTS=1 but ${executablePath} does not exist: install Debian's chromium ` +
        '(scripts/bootstrap.sh does when CLORE_BATCH_BROWSER_TESTS=1) or unset the variable',
    );
  }
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS, timeout: 30_000 });
}

export interface Stack {
  config: DeepReadonly<Config>;
  sim: SimHandle;
  api: RunningApi;
  /** Starts the in-process worker (once); tests that watch a job wait in `queued` start it later. */
  startWorker(): Promise<RunningWorker>;
  stopWorker(): Promise<void>;
  /** POST /v1/jobs with the submit token; returns the job id. */
  submit(spec: Record<string, unknown>): Promise<string>;
  /** POST /v1/jobs/:id/cancel with the submit token. */
  cancel(id: string): Promise<void>;
  /** How many orders the simulator holds active. */
  activeOrders(): Promise<number>;
  /** The simulator's own view of one order. */
  simOrder(id: number): Promise<{ id: number; active: boolean; endReason?: string } | undefined>;
  close(): Promise<void>;
}

/**
 * The whole product on this machine: a private Redis, the simulator over HTTP with scaled-down
 * limits and delays, the API (startApi with the dashboard plugin) listening on a free port, and a
 * worker (startWorker) in-process. `env` adds or overrides configuration variables.
 */
export async function startStack(env: Record<string, string> = {}): Promise<Stack> {
  const redis: RedisHandle = await startRedis({ private: true });
  const sim = await startSimulator({
    keys: [{ key: SIM_KEY, balances: { 'USD-Blockchain': 500, 'CLORE-Blockchain': 1_000_000, bitcoin: 1 } }],
    limits: { generalMs: 50, createMs: 250 },
    provisioningMs: [300, 600],
    clockSpeed: 120,
  });
  const dataDir = await mkdtemp(join(tmpdir(), 'cb-dash-browser-'));
  const config = loadConfig({
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    REDIS_URL: redis.url,
    REDIS_PREFIX: `test-${randomUUID()}`,
    DATA_DIR: dataDir,
    SECRETS_KEY: 'browser-test-secrets-key-0123456789abcdef',
    API_TOKENS: `ops:admin:${ADMIN_TOKEN},ci-bot:submit:${SUBMIT_TOKEN},probe:admin:${PROBE_TOKEN}`,
    CLORE_API_URL: sim.url,
    CLORE_API_KEY: SIM_KEY,
    CLORE_CURRENCY: 'USD-Blockchain',
    CLORE_GENERAL_SPACING_MS: '60',
    CLORE_CREATE_SPACING_MS: '260',
    CLORE_TIMEOUT_MS: '2000',
    ORDER_POLL_INTERVAL_MS: '200',
    MARKETPLACE_REFRESH_MS: '1000',
    PROVISION_TIMEOUT_SECONDS: '10',
    REAPER_GRACE_SECONDS: '2',
    SERVER_CLAIM_TTL_SECONDS: '10',
    WORKER_LOCK_DURATION_MS: '2000',
    WORKER_KILL_GRACE_SECONDS: '1',
    WORKER_CONCURRENCY: '4',
    ...env,
  });
  const api = await startApi(config, {
    logger: silentLogger(),
    host: '127.0.0.1',
    port: 0,
    plugins: [createDashboardPlugin()],
  });
  let worker: RunningWorker | undefined;
  const simOrders = async () => {
    const response = await fetch(`${sim.url}/_sim/orders`);
    return ((await response.json()) as { orders: { id: number; active: boolean; endReason?: string }[] })
      .orders;
  };
  const stack: Stack = {
    config,
    sim,
    api,
    async startWorker() {
      worker ??= await startWorker({
        config,
        logger: silentLogger(),
        settings: {
          sshRetryMs: { initial: 100, max: 500 },
          logPollMs: 50,
          orderLookupMs: 3_000,
          releaseConfirmMs: 3_000,
          cancelPollMs: 250,
        },
        fleetSettings: { leaderTtlMs: 2_000, cancelConfirmMs: 1_000, cancelRetryBaseMs: 200 },
      });
      return worker;
    },
    async stopWorker() {
      await worker?.close();
      worker = undefined;
    },
    async submit(spec) {
      const response = await fetch(`${api.url}/v1/jobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${SUBMIT_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          gpu: { model: ['RTX 3090', 'RTX 4090'] },
          image: 'ubuntu:22.04',
          maxPricePerHourUsd: 5,
          budgetUsd: 20,
          minReliability: 0,
          ...spec,
        }),
      });
      const body = (await response.json()) as { id?: string; message?: string };
      if (response.status !== 201 || body.id === undefined) {
        throw new Error(`submit failed: ${response.status} ${body.message ?? ''}`);
      }
      return body.id;
    },
    async cancel(id) {
      const response = await fetch(`${api.url}/v1/jobs/${id}/cancel`, {
        method: 'POST',
        headers: { authorization: `Bearer ${SUBMIT_TOKEN}` },
      });
      if (response.status !== 202) {
        throw new Error(`cancel failed: ${response.status}`);
      }
    },
    async activeOrders() {
      return (await simOrders()).filter((o) => o.active).length;
    },
    async simOrder(id) {
      return (await simOrders()).find((o) => o.id === id);
    },
    async close() {
      await stack.stopWorker();
      await api.close();
      await sim.close();
      await redis.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return stack;
}

import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type SimHandle, type SimOptions, startSimulator } from '@clore-batch/clore-sim';
import {
  bullPrefix,
  createJobStore,
  createLogger,
  deriveSecretKey,
  isTerminal,
  JOBS_QUEUE,
  type JobRecord,
  type JobSpecInput,
  type JobState,
  type JobStore,
  loadConfig,
  parseJobSpec,
  sealJson,
  sealSecret,
  toStoredSpec,
} from '@clore-batch/shared';
import { captureOutput, spawnTracked, stopChild, trackRedis, waitFor } from '@clore-batch/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { FleetSettings } from '../../src/fleet/fleet-settings';
import type { LifecycleSettings } from '../../src/lifecycle/deps';
import { type RunningWorker, startWorker } from '../../src/worker/start-worker';

export const SIM_KEY = 'e2e-key';
export const SECRETS_KEY = 'e2e-secrets-key-0123456789abcdef0123456789';

/** Scaled-down clocks: same code paths as 1 s / 5 s limits, shorter waits. */
export const FAST_SIM: SimOptions = {
  keys: [{ key: SIM_KEY, balances: { 'USD-Blockchain': 1_000, 'CLORE-Blockchain': 1_000_000, bitcoin: 1 } }],
  limits: { generalMs: 50, createMs: 250 },
  provisioningMs: [100, 300],
  // Realistic rented servers (deploying stage, the key refused for a moment after deployed, SSH
  // only with autossh_entrypoint on images without sshd), with the refusal window scaled down.
  orderHost: { keyRefusalAfterDeployedMs: [50, 200] },
};

/** The same as `FAST_SIM.orderHost`, as clore-sim command flags (for `simProcess`). */
export const SIM_COMPAT_FLAGS = ['--key-refusal', '50-200'];

export interface KitOptions {
  sim?: SimOptions;
  /** Extra env for loadConfig. */
  env?: Record<string, string>;
  settings?: Partial<LifecycleSettings>;
  fleetSettings?: Partial<FleetSettings>;
  /** Start no in-process worker (a test starts its own, e.g. a child process). */
  noWorker?: boolean;
  /**
   * Run the simulator as its own OS process (the clore-sim command) with these flags, as the real
   * API runs apart from the workers: its clock and call log are then not stalled by the workers'
   * event loop. `kit.sim` has only `url` then; use the `/_sim` routes.
   */
  simProcess?: string[];
  /** Wraps the job store the in-process workers' lifecycle uses (inject store failures). */
  wrapStore?: (store: JobStore) => JobStore;
}

export interface Kit {
  sim: SimHandle;
  redis: Redis;
  store: JobStore;
  queue: Queue;
  worker?: RunningWorker;
  env: Record<string, string>;
  prefix: string;
  dataDir: string;
  submit(spec: Partial<JobSpecInput>, secretEnv?: Record<string, string>): Promise<JobRecord>;
  waitFor(
    id: string,
    states: JobState[] | ((job: JobRecord) => boolean),
    timeoutMs?: number,
  ): Promise<JobRecord>;
  waitDone(id: string, timeoutMs?: number): Promise<JobRecord>;
  /** Active orders, from the simulator's own `/_sim/orders` over HTTP. */
  activeOrders(): Promise<SimOrder[]>;
  orders(): Promise<SimOrder[]>;
  /** Replace the simulator's fault settings (`PUT /_sim/faults`). */
  setFaults(faults: Record<string, unknown>): Promise<void>;
  /** Wait until the simulator shows no active order. */
  noActiveOrders(timeoutMs?: number): Promise<void>;
  startWorker(): Promise<RunningWorker>;
  close(): Promise<void>;
}

export interface SimOrder {
  id: number;
  serverId: number;
  active: boolean;
  endReason?: string;
  spend: number;
  creationFee: number;
  type: string;
  sshPort: number;
}

/** A default spec the seeded marketplace satisfies (many RTX 3090/4090 servers). */
export function spec(overrides: Partial<JobSpecInput> = {}): JobSpecInput {
  return {
    gpu: { model: ['RTX 3090', 'RTX 4090'] },
    image: 'ubuntu:22.04',
    command: 'echo hello',
    maxPricePerHourUsd: 5,
    budgetUsd: 50,
    minReliability: 0,
    timeoutSeconds: 600,
    ...overrides,
  } as JobSpecInput;
}

/** Real Redis (given), the simulator over HTTP, the worker in-process with scaled timings. */
async function startSimProcess(flags: string[]): Promise<{ sim: SimHandle; stop: () => Promise<void> }> {
  const bin = fileURLToPath(new URL('../../../../packages/clore-sim/bin/clore-sim.mjs', import.meta.url));
  const child = spawnTracked(process.execPath, [
    bin,
    '--port',
    '0',
    '--log-level',
    'silent',
    ...SIM_COMPAT_FLAGS,
    ...flags,
  ]);
  const output = captureOutput(child);
  const url = await waitFor(() => /listening on (http:\/\/\S+)/.exec(output())?.[1], {
    timeoutMs: 20_000,
    message: `the simulator process to listen (${output()})`,
  });
  return { sim: { url } as SimHandle, stop: () => stopChild(child) };
}

export async function startKit(redisUrl: string, options: KitOptions = {}): Promise<Kit> {
  const external = options.simProcess === undefined ? undefined : await startSimProcess(options.simProcess);
  const sim = external?.sim ?? (await startSimulator({ ...FAST_SIM, ...options.sim }));
  const prefix = `test-${randomUUID()}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'cb-worker-e2e-'));
  const env: Record<string, string> = {
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    DATA_DIR: dataDir,
    SECRETS_KEY,
    CLORE_API_URL: sim.url,
    CLORE_API_KEY: SIM_KEY,
    CLORE_CURRENCY: 'USD-Blockchain',
    CLORE_GENERAL_SPACING_MS: '100',
    CLORE_CREATE_SPACING_MS: '300',
    CLORE_TIMEOUT_MS: '2000',
    ORDER_POLL_INTERVAL_MS: '200',
    MARKETPLACE_REFRESH_MS: '1000',
    PROVISION_TIMEOUT_SECONDS: '8',
    REAPER_GRACE_SECONDS: '1',
    SERVER_CLAIM_TTL_SECONDS: '10',
    WORKER_LOCK_DURATION_MS: '2000',
    WORKER_KILL_GRACE_SECONDS: '1',
    WORKER_CONCURRENCY: '4',
    ...options.env,
  };
  const config = loadConfig(env);
  const redis = trackRedis(new Redis(redisUrl, { maxRetriesPerRequest: null }));
  const store = createJobStore({ redis, prefix, dataDir, logTailBytes: config.LOG_TAIL_BYTES });
  const queue = new Queue(JOBS_QUEUE, { connection: redis, prefix: bullPrefix(prefix) });
  const logger = createLogger({ level: config.LOG_LEVEL });
  const settings: Partial<LifecycleSettings> = {
    sshRetryMs: { initial: 100, max: 500 },
    logPollMs: 50,
    reconnectWindowMs: 20_000,
    orderLookupMs: 3_000,
    releaseConfirmMs: 3_000,
    cancelPollMs: 250,
    ...options.settings,
  };
  const workers: RunningWorker[] = [];
  const kit: Kit = {
    sim,
    redis,
    store,
    queue,
    env,
    prefix,
    dataDir,
    async startWorker() {
      const running = await startWorker({
        config,
        logger,
        settings,
        fleetSettings: {
          leaderTtlMs: 2_000,
          cancelConfirmMs: 1_000,
          cancelRetryBaseMs: 200,
          ...options.fleetSettings,
        },
        ...(options.wrapStore === undefined ? {} : { wrapStore: options.wrapStore }),
      });
      workers.push(running);
      return running;
    },
    async submit(input, secretEnv) {
      const parsed = parseJobSpec({ ...spec(), ...input }, { currency: config.CLORE_CURRENCY });
      const sealed = secretEnv === undefined ? undefined : sealJson(deriveSecretKey(SECRETS_KEY), secretEnv);
      const { job } = await store.create({
        spec: toStoredSpec(parsed),
        owner: 'e2e',
        ...(sealed === undefined ? {} : { secretEnvSealed: sealed }),
        ...(parsed.registryAuth === undefined
          ? {}
          : { registryAuthSealed: sealSecret(deriveSecretKey(SECRETS_KEY), parsed.registryAuth) }),
      });
      await queue.add('run', { jobId: job.id }, { jobId: job.id });
      return job;
    },
    async waitFor(id, states, timeoutMs = 30_000) {
      const test = typeof states === 'function' ? states : (job: JobRecord) => states.includes(job.state);
      return waitFor(
        async () => {
          const job = await store.get(id);
          return test(job) ? job : undefined;
        },
        {
          timeoutMs,
          intervalMs: 50,
          message: `job ${id} to reach ${typeof states === 'function' ? 'a condition' : states.join('|')}`,
        },
      );
    },
    waitDone(id, timeoutMs = 30_000) {
      return kit.waitFor(id, (job) => isTerminal(job.state), timeoutMs);
    },
    async orders() {
      const response = await fetch(`${sim.url}/_sim/orders`);
      return ((await response.json()) as { orders: SimOrder[] }).orders;
    },
    async activeOrders() {
      return (await kit.orders()).filter((o) => o.active);
    },
    async setFaults(faults) {
      const response = await fetch(`${sim.url}/_sim/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(faults),
      });
      if (!response.ok) {
        throw new Error(`PUT /_sim/faults: ${response.status} ${await response.text()}`);
      }
    },
    async noActiveOrders(timeoutMs = 15_000) {
      await waitFor(async () => (await kit.activeOrders()).length === 0, {
        timeoutMs,
        message: 'no active orders in the simulator',
      });
    },
    async close() {
      for (const running of workers) {
        await running.close();
      }
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
      await store.close();
      const keys = await redis.keys(`${prefix}:*`);
      for (let i = 0; i < keys.length; i += 500) {
        await redis.del(...keys.slice(i, i + 500));
      }
      await redis.quit();
      await (external === undefined ? sim.close() : external.stop());
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  if (options.noWorker !== true) {
    kit.worker = await kit.startWorker();
  }
  return kit;
}

/**
 * A direct Clore API call, as another tool using the same key would make. It shares the key's rate
 * limit with the worker without its limiter, so a code 5 is retried (bounded, spaced by the
 * simulator's create window).
 */
export async function simCall(
  k: Pick<Kit, 'sim'>,
  endpoint: string,
  body: unknown,
): Promise<{ code: number }> {
  for (let i = 0; i < 20; i += 1) {
    const answer = await fetch(`${k.sim.url}/v1/${endpoint}`, {
      method: 'POST',
      headers: { auth: SIM_KEY, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const result = (await answer.json()) as { code: number };
    if (result.code !== 5) {
      return result;
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return { code: 5 };
}

/** The BullMQ `run` job of a job once it is settled (completed or failed), as bull-board reads it. */
export async function waitForBullSettled(
  k: Pick<Kit, 'queue'>,
  id: string,
  timeoutMs = 10_000,
): Promise<{ state: string; attemptsMade: number; failedReason?: string; returnvalue: unknown }> {
  return waitFor(
    async () => {
      const job = await k.queue.getJob(id);
      const state = job === undefined ? 'missing' : await job.getState();
      if (job === undefined || (state !== 'completed' && state !== 'failed')) {
        return undefined;
      }
      return {
        state,
        attemptsMade: job.attemptsMade,
        ...(job.failedReason ? { failedReason: job.failedReason } : {}),
        returnvalue: job.returnvalue,
      };
    },
    { timeoutMs, intervalMs: 50, message: `BullMQ job ${id} to settle` },
  );
}

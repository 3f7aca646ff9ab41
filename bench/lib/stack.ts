/**
 * The clore-batch side of a benchmark, in this process: a simulator, Redis, the job store and queue
 * (what the API writes on `POST /v1/jobs`), and a worker built by `startWorker` with production
 * defaults unless told otherwise. `close()` stops everything it started and deletes its keys.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SimHandle, type SimOptions, startSimulator } from '@clore-batch/clore-sim';
import {
  bullPrefix,
  type Config,
  createJobStore,
  createLogger,
  type DeepReadonly,
  isTerminal,
  JOBS_QUEUE,
  type JobRecord,
  type JobSpecInput,
  type JobStore,
  loadConfig,
  parseJobSpec,
  toStoredSpec,
} from '@clore-batch/shared';
import { type RedisHandle, startRedis } from '@clore-batch/testing';
import { type RunningWorker, startWorker } from '@clore-batch/worker';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { sleep } from './stats';

export const BENCH_KEY = 'bench-key';
export const BENCH_CURRENCY = 'USD-Blockchain';

/** The same 50 jobs' spec on both sides: any RTX 3090/4090 up to $5/h. */
export function benchSpec(command: string): JobSpecInput {
  return {
    gpu: { model: ['RTX 3090', 'RTX 4090'] },
    image: 'ubuntu:22.04',
    command,
    maxPricePerHourUsd: 5,
    budgetUsd: 10,
    minReliability: 0,
    timeoutSeconds: 600,
  } as JobSpecInput;
}

export interface Stack {
  sim: SimHandle;
  redis: Redis;
  store: JobStore;
  queue: Queue;
  worker?: RunningWorker;
  config: DeepReadonly<Config>;
  /** The environment a worker or API process of this stack needs. */
  env: Record<string, string>;
  dataDir: string;
  submit(command: string): Promise<JobRecord>;
  /** Poll the store until every job is terminal (or the deadline passes); the final records. */
  waitAll(ids: readonly string[], timeoutMs: number): Promise<JobRecord[]>;
  close(): Promise<void>;
}

export interface StackOptions {
  sim: SimOptions;
  env?: Record<string, string>;
  /** Start no in-process worker (the benchmark runs worker processes itself). */
  noWorker?: boolean;
  redis?: RedisHandle;
}

/**
 * A stack whose provider clocks are `scale` times faster than the real ones (simulator limits and
 * provisioning, the limiter's spacing with production's 10 % margin, order poll, marketplace
 * refresh), one worker with WORKER_CONCURRENCY `concurrency` (tenants.ts, sweeps.ts).
 */
export function scaledStackOptions(scale: number, concurrency: number): StackOptions {
  const scaled = (ms: number) => String(Math.round(ms / scale));
  return {
    sim: {
      seed: 7,
      servers: 120,
      limits: { generalMs: 1000 / scale, createMs: 5000 / scale },
      provisioningMs: [1000 / scale, 3000 / scale],
    },
    env: {
      WORKER_CONCURRENCY: String(concurrency),
      CLORE_GENERAL_SPACING_MS: scaled(1100),
      CLORE_CREATE_SPACING_MS: scaled(5200),
      CLORE_TIMEOUT_MS: '5000',
      ORDER_POLL_INTERVAL_MS: scaled(3000),
      MARKETPLACE_REFRESH_MS: scaled(15_000),
      REAPER_GRACE_SECONDS: '5',
    },
  };
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const redisHandle = options.redis ?? (await startRedis());
  const ownRedis = options.redis === undefined;
  const sim = await startSimulator({ keys: [{ key: BENCH_KEY }], ...options.sim });
  const prefix = `bench-${randomUUID()}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'cb-bench-'));
  const env: Record<string, string> = {
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'silent',
    REDIS_URL: redisHandle.url,
    REDIS_PREFIX: prefix,
    DATA_DIR: dataDir,
    SECRETS_KEY: `bench-secrets-key-${randomUUID()}`,
    CLORE_API_URL: sim.url,
    CLORE_API_KEY: BENCH_KEY,
    CLORE_CURRENCY: BENCH_CURRENCY,
    ...options.env,
  };
  const config = loadConfig(env);
  const redis = new Redis(redisHandle.url, { maxRetriesPerRequest: null });
  const store = createJobStore({ redis, prefix, dataDir, logTailBytes: config.LOG_TAIL_BYTES });
  const queue = new Queue(JOBS_QUEUE, { connection: redis, prefix: bullPrefix(prefix) });
  const worker =
    options.noWorker === true
      ? undefined
      : await startWorker({ config, logger: createLogger({ level: config.LOG_LEVEL }) });
  const stack: Stack = {
    sim,
    redis,
    store,
    queue,
    ...(worker === undefined ? {} : { worker }),
    config,
    env,
    dataDir,
    async submit(command) {
      const parsed = parseJobSpec(benchSpec(command), { currency: config.CLORE_CURRENCY });
      const { job } = await store.create({ spec: toStoredSpec(parsed), owner: 'bench' });
      await queue.add('run', { jobId: job.id }, { jobId: job.id });
      return job;
    },
    async waitAll(ids, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const jobs = await Promise.all(ids.map((id) => store.get(id)));
        if (jobs.every((j) => isTerminal(j.state)) || Date.now() > deadline) {
          return jobs;
        }
        await sleep(250);
      }
    },
    async close() {
      await worker?.close();
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
      await store.close();
      for (;;) {
        const keys = await redis.keys(`${prefix}:*`);
        if (keys.length === 0) {
          break;
        }
        await redis.del(...keys.slice(0, 500));
      }
      await redis.quit();
      await sim.close();
      await rm(dataDir, { recursive: true, force: true });
      if (ownRedis) {
        await redisHandle.stop();
      }
    },
  };
  return stack;
}

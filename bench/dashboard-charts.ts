/**
 * The dashboard's chart routes with `--jobs` (default 10 000) finished jobs in the store (issue 18:
 * each must answer in under 200 ms). The records are copies of one real record (a job submitted
 * through POST /v1/jobs, given two attempts, eight history events, a tenant, a GPU model and a
 * finish time spread over the last 30 days), written with the store's own keys (job hash, `finished`
 * ZSET, state index). The API (buildApp + the dashboard plugin, its own Redis connection) answers
 * GET /admin/api/charts/<chart>?range=… through inject(); the clock is moved on 6 s before each
 * request so the 5 s answer cache never serves it: every figure is a computed answer. "Cold" is the
 * first request (it reads every record in range); "warm" the later ones (finished records' facts kept).
 * Writes "Dashboard charts".
 *
 *   pnpm --filter @clore-batch/bench exec tsx dashboard-charts.ts [--jobs 10000] [--rounds 20] [--no-write]
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildApp, createDashboardPlugin } from '@clore-batch/api';
import {
  bullPrefix,
  createJobStore,
  JOBS_QUEUE,
  type JobRecord,
  loadConfig,
  newJobId,
  redisKeys,
  silentLogger,
  WEBHOOKS_QUEUE,
} from '@clore-batch/shared';
import { startRedis } from '@clore-batch/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { machineLine, publishSection } from './lib/doc';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '20' },
    'no-write': { type: 'boolean', default: false },
  },
});
const JOBS = Number(values.jobs);
const ROUNDS = Number(values.rounds);
const CHARTS = ['spend', 'spend-by-gpu', 'queue', 'provisioning', 'failures', 'starts'] as const;
const RANGES = ['24h', '7d', '30d'] as const;
const TOKEN = `bench-admin-${randomUUID()}`;
const GPUS = ['NVIDIA GeForce RTX 3090', 'NVIDIA GeForce RTX 4090', 'NVIDIA A100', 'NVIDIA GeForce RTX 3080'];
const OWNERS = ['research', 'ci-bot', 'vision-team', 'nlp-team', 'ops'];
const REASONS = ['command_failed', 'ssh_error', 'budget_exceeded', 'preempted'] as const;
const log = (text: string) => process.stderr.write(`[dashboard-charts] ${text}\n`);

const redisHandle = await startRedis({ private: true });
const dataDir = await mkdtemp(join(tmpdir(), 'cb-bench-dash-'));
const config = loadConfig({
  LOG_LEVEL: 'silent',
  REDIS_URL: redisHandle.url,
  REDIS_PREFIX: `bench-${randomUUID()}`,
  DATA_DIR: dataDir,
  SECRETS_KEY: 'bench-secrets-key-0123456789abcdef0123',
  API_TOKENS: `ops:admin:${TOKEN}`,
  CLORE_API_URL: 'http://127.0.0.1:9',
  CLORE_API_KEY: 'unused',
  TENANT_LIMITS: JSON.stringify({ '*': { dailySpendUsd: 200 } }),
});
const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
const store = createJobStore({ redis, prefix: config.REDIS_PREFIX, dataDir, logTailBytes: 4096 });
const queue = new Queue(JOBS_QUEUE, { connection: redis, prefix: bullPrefix(config.REDIS_PREFIX) });
const webhookQueue = new Queue(WEBHOOKS_QUEUE, {
  connection: redis,
  prefix: bullPrefix(config.REDIS_PREFIX),
});
let clock = Date.now();
const app = await buildApp({
  config,
  logger: silentLogger(),
  redis,
  store,
  queue,
  webhookQueue,
  plugins: [
    createDashboardPlugin({
      now: () => new Date(clock),
      wallets: () => ({ get: async () => ({ status: 'unknown', message: 'bench' }), close: async () => {} }),
    }),
  ],
});
const auth = { authorization: `Bearer ${TOKEN}` };

// One real record, then JOBS finished copies of it.
const submitted = await app.inject({
  method: 'POST',
  url: '/v1/jobs',
  headers: auth,
  payload: {
    name: 'bench-train',
    image: 'pytorch/pytorch:2.3.0-cuda12.1-cudnn8-runtime',
    command: 'python train.py --epochs 3',
    gpu: { model: ['RTX 3090', 'RTX 4090'] },
    maxPricePerHourUsd: 1.5,
    budgetUsd: 10,
    env: { EPOCHS: '3', DATASET: 'imagenet-subset' },
  },
});
if (submitted.statusCode !== 201) {
  throw new Error(`submit failed: ${submitted.statusCode} ${submitted.body}`);
}
const template = await store.get((submitted.json() as { id: string }).id);
const keys = redisKeys(config.REDIS_PREFIX).store;
const now = clock;
const iso = (ms: number) => new Date(ms).toISOString();
const started = Date.now();
for (let i = 0; i < JOBS; i += 500) {
  const pipeline = redis.pipeline();
  for (let j = i; j < Math.min(JOBS, i + 500); j += 1) {
    const finishedAt = now - Math.floor(((j + 0.5) / JOBS) * 30 * 24 * 3_600_000);
    const createdAt = finishedAt - 3_600_000;
    const failed = j % 7 === 0;
    const gpu = GPUS[j % GPUS.length] ?? 'NVIDIA A100';
    const attempt = (n: number, from: number, to: number) => ({
      n,
      serverId: 1000 + j,
      orderId: 50_000 + j * 2 + n,
      gpu,
      pricePerHourUsd: 0.4,
      currency: 'USD-Blockchain' as const,
      startedAt: iso(from),
      readyAt: iso(from + 20_000 + (j % 13) * 15_000),
      endedAt: iso(to),
      spentUsd: (0.4 * (to - from)) / 3_600_000,
      endReason:
        n === 1 ? ('preempted' as const) : failed ? ('command_failed' as const) : ('completed' as const),
    });
    const id = newJobId();
    const state = failed ? 'failed' : 'succeeded';
    const record: JobRecord = {
      ...template,
      id,
      owner: OWNERS[j % OWNERS.length] ?? 'ops',
      state,
      ...(failed ? { reason: REASONS[j % REASONS.length], exitCode: 1 } : { exitCode: 0 }),
      createdAt: iso(createdAt),
      updatedAt: iso(finishedAt),
      startedAt: iso(createdAt + 60_000),
      finishedAt: iso(finishedAt),
      attempts: [
        attempt(1, createdAt + 60_000, createdAt + 600_000),
        attempt(2, createdAt + 660_000, finishedAt),
      ],
      events: Array.from({ length: 8 }, (_, k) => ({
        at: iso(createdAt + k * 60_000),
        type: 'info' as const,
        message: `step ${k}: a history line of the kind the worker writes`,
      })),
      version: 12,
    };
    record.costUsd = record.attempts.reduce((sum, a) => sum + a.spentUsd, 0);
    pipeline.hset(keys.job(id), { json: JSON.stringify(record), state, version: '12', owner: record.owner });
    pipeline.zadd(keys.finished(), finishedAt, id);
    pipeline.zadd(keys.byState(state), 0, id);
    pipeline.zadd(keys.all(), 0, id);
  }
  await pipeline.exec();
}
const recordBytes = (await redis.hget(keys.job(template.id), 'json'))?.length ?? 0;
log(`wrote ${JOBS} finished jobs in ${Date.now() - started} ms`);

async function timed(chart: string, range: string): Promise<number> {
  clock += 6_000;
  const t0 = performance.now();
  const answer = await app.inject({
    method: 'GET',
    url: `/admin/api/charts/${chart}?range=${range}`,
    headers: auth,
  });
  const ms = performance.now() - t0;
  if (answer.statusCode !== 200) {
    throw new Error(`${chart} ${range}: ${answer.statusCode} ${answer.body}`);
  }
  return ms;
}
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;

const cold = await timed('spend', '30d');
const rows: string[] = [];
let worst = 0;
for (const range of RANGES) {
  for (const chart of CHARTS) {
    const times: number[] = [];
    for (let r = 0; r < ROUNDS; r += 1) {
      times.push(await timed(chart, range));
    }
    times.sort((a, b) => a - b);
    worst = Math.max(worst, pct(times, 1));
    rows.push(
      `| ${chart} | ${range} | ${pct(times, 0.5).toFixed(1)} | ${pct(times, 0.95).toFixed(1)} | ${pct(times, 1).toFixed(1)} |`,
    );
  }
}
const text = [
  '## Dashboard charts',
  '',
  `\`pnpm --filter @clore-batch/bench exec tsx dashboard-charts.ts --jobs ${JOBS} --rounds ${ROUNDS}\` (bench/dashboard-charts.ts). ${machineLine()}.`,
  '',
  `${JOBS} finished jobs (records of ≈${Math.round(recordBytes / 100) / 10} kB, two attempts each, finish times spread over 30 days), each chart route asked ${ROUNDS} times per range through inject() with the 5 s answer cache defeated. The first request of all (spend, 30d: every record in range read in pipelined batches of 500 and reduced to the facts the charts use) took **${cold.toFixed(0)} ms**; after it, finished jobs' facts are kept in the API process and only new ids are read.`,
  '',
  '| chart | range | p50 ms | p95 ms | max ms |',
  '|---|---|---|---|---|',
  ...rows,
  '',
  `Worst warm answer: ${worst.toFixed(1)} ms (target: under 200 ms). ${cold < 200 ? 'The cold first answer is also under 200 ms.' : 'The cold first answer is over 200 ms: it is paid once per API process, and the dashboard plugin pays it at start (onReady, before an admin asks). Here the records were written after that start, so the figure is the read itself.'}`,
].join('\n');
await publishSection('## Dashboard charts', text, !values['no-write']);

await app.close();
await queue.close();
await webhookQueue.close();
await store.close();
redis.disconnect();
await redisHandle.stop();
await rm(dataDir, { recursive: true, force: true });

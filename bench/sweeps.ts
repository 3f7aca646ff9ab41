/**
 * Sweeps against separate submits (docs/decisions/0136): N jobs of `--command` (default `sleep 2`)
 * submitted (a) as one sweep, `POST /v1/sweeps {count: N}`, then waited for by polling
 * `GET /v1/sweeps/:id` every second, and (b) as N `POST /v1/jobs`, then waited for by polling each
 * job every second (what N scripts or CLI processes do). Reports API calls (submit and wait), the
 * Redis commands the API process sent while submitting (its one connection, counted as sent), the
 * submit time and the wall time to the last job's end. One stack (simulator, Redis, one in-process
 * worker), the provider's clocks scaled down `--scale` times as in tenants.ts. Writes "Sweeps".
 *
 *   pnpm --filter @clore-batch/bench exec tsx sweeps.ts [--jobs 100] [--scale 10] [--concurrency 8]
 *     [--command 'sleep 2'] [--no-write]
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { buildApp } from '@clore-batch/api';
import {
  bullPrefix,
  createBullRedis,
  createJobStore,
  JOBS_QUEUE,
  loadConfig,
  silentLogger,
  WEBHOOKS_QUEUE,
} from '@clore-batch/shared';
import { Queue } from 'bullmq';
import { machineLine, publishSection } from './lib/doc';
import { benchSpec, scaledStackOptions, startStack } from './lib/stack';
import { fixed, secs, sleep } from './lib/stats';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '100' },
    scale: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '8' },
    command: { type: 'string', default: 'sleep 2' },
    'no-write': { type: 'boolean', default: false },
  },
});
const JOBS = Number(values.jobs);
const SCALE = Number(values.scale);
const CONCURRENCY = Number(values.concurrency);
const COMMAND = values.command;
const TOKEN = `bench-token-${randomUUID()}`;
const log = (text: string) => process.stderr.write(`[sweeps] ${text}\n`);

const stack = await startStack(scaledStackOptions(SCALE, CONCURRENCY));

// The API in this process on its own Redis connection, whose commands are counted as they are sent.
const config = loadConfig({
  ...stack.env,
  API_TOKENS: `bench:submit:${TOKEN}`,
  SWEEP_MAX_JOBS: String(Math.max(1000, JOBS)),
  // N pollers at 1/s need N × 60 calls a minute: over the default 600 for N > 10 (see the text).
  API_RATE_LIMIT_PER_MINUTE: '1000000',
});
const apiRedis = createBullRedis(config);
let redisCommands = 0;
const send = apiRedis.sendCommand.bind(apiRedis);
apiRedis.sendCommand = ((...args: Parameters<typeof send>) => {
  redisCommands += 1;
  return send(...args);
}) as typeof apiRedis.sendCommand;
const store = createJobStore({
  redis: apiRedis,
  prefix: config.REDIS_PREFIX,
  dataDir: config.DATA_DIR,
  logTailBytes: 4096,
});
const queue = new Queue(JOBS_QUEUE, { connection: apiRedis, prefix: bullPrefix(config.REDIS_PREFIX) });
const webhookQueue = new Queue(WEBHOOKS_QUEUE, {
  connection: apiRedis,
  prefix: bullPrefix(config.REDIS_PREFIX),
});
const app = await buildApp({ config, logger: silentLogger(), redis: apiRedis, store, queue, webhookQueue });
const base = await app.listen({ host: '127.0.0.1', port: 0 });

let apiCalls = 0;
async function call(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  apiCalls += 1;
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await response.json()) as Record<string, unknown>;
  if (response.status >= 400) {
    throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  }
  return json;
}

interface Side {
  label: string;
  submitCalls: number;
  waitCalls: number;
  redisCommands: number;
  submitMs: number;
  wallMs: number;
  succeeded: number;
}

async function measure(
  label: string,
  submit: () => Promise<() => Promise<number | undefined>>,
): Promise<Side> {
  apiCalls = 0;
  redisCommands = 0;
  const began = Date.now();
  const poll = await submit();
  const submitMs = Date.now() - began;
  const submitCalls = apiCalls;
  const submitRedis = redisCommands;
  let succeeded = await poll();
  while (succeeded === undefined) {
    await sleep(1_000);
    succeeded = await poll();
  }
  const side = {
    label,
    submitCalls,
    waitCalls: apiCalls - submitCalls,
    redisCommands: submitRedis,
    submitMs,
    wallMs: Date.now() - began,
    succeeded,
  };
  log(JSON.stringify(side));
  return side;
}

const spec = { ...benchSpec(`${COMMAND}; echo point $CLORE_BATCH_INDEX`) };
let text = '';
try {
  // Warm-up, not counted: the first use of each script and route (then cancelled while queued).
  const warm = await call('POST', '/v1/sweeps', { spec, count: 1 });
  await call('POST', `/v1/sweeps/${warm.id}/cancel`);
  const warmJob = await call('POST', '/v1/jobs', spec);
  await call('POST', `/v1/jobs/${warmJob.id}/cancel`);
  const sweep = await measure('one sweep', async () => {
    const { id } = await call('POST', '/v1/sweeps', { spec, count: JOBS });
    return async () => {
      const s = await call('GET', `/v1/sweeps/${id}`);
      return s.done ? ((s.counts as Record<string, number>).succeeded ?? 0) : undefined;
    };
  });
  const separate = await measure(`${JOBS} submits`, async () => {
    const ids: string[] = [];
    for (let i = 0; i < JOBS; i += 1) {
      ids.push(
        (await call('POST', '/v1/jobs', { ...spec, env: { CLORE_BATCH_INDEX: String(i) } })).id as string,
      );
    }
    const ended = new Map<string, string>();
    return async () => {
      for (const id of ids.filter((i) => !ended.has(i))) {
        const job = await call('GET', `/v1/jobs/${id}`);
        if (['succeeded', 'failed', 'cancelled'].includes(job.state as string)) {
          ended.set(id, job.state as string);
        }
      }
      return ended.size === ids.length
        ? [...ended.values()].filter((s) => s === 'succeeded').length
        : undefined;
    };
  });
  const row = (s: Side) =>
    `| ${s.label} | ${s.succeeded}/${JOBS} | ${s.submitCalls} | ${s.waitCalls} | ${s.redisCommands} | ${secs(s.submitMs, 2)} s | ${secs(s.wallMs)} s |`;
  text = [
    '## Sweeps',
    '',
    `${JOBS} jobs of \`${COMMAND}\` as one sweep (\`POST /v1/sweeps {count}\`, waited for by polling \`GET /v1/sweeps/:id\`) and as ${JOBS}`,
    'separate `POST /v1/jobs` (waited for by polling each job), one after the other on the same stack (docs/decisions/0136).',
    '',
    `- Machine: ${machineLine()}.`,
    `- Run: \`pnpm --filter @clore-batch/bench exec tsx sweeps.ts --jobs ${JOBS} --scale ${SCALE} --concurrency ${CONCURRENCY} --command '${COMMAND}'\` (bench/sweeps.ts).`,
    `- The provider's clocks scaled down ${SCALE}× as in tenants.ts; one in-process worker, WORKER_CONCURRENCY ${CONCURRENCY}; polls every 1 s.`,
    '- Redis commands: those the API process sent on its connection while submitting (store, queue, limits), counted as sent.',
    `- API_RATE_LIMIT_PER_MINUTE raised for this run: ${JOBS} jobs each polled once a second is ${JOBS * 60} calls a minute, which the default 600 per token refuses (429, seen in a first run); one sweep polled once a second is 60.`,
    '',
    '| submitted as | succeeded | API calls to submit | API calls to wait | Redis commands to submit | submit time | wall time |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    row(sweep),
    row(separate),
    '',
    `- Submit time ratio (separate / sweep): ${fixed(separate.submitMs / Math.max(1, sweep.submitMs), 1)}×; Redis commands ratio: ${fixed(separate.redisCommands / Math.max(1, sweep.redisCommands), 1)}×.`,
    '',
  ].join('\n');
} finally {
  await app.close();
  await queue.close();
  await webhookQueue.close();
  await store.close();
  await apiRedis.quit();
  await stack.close();
}
await publishSection('## Sweeps', text, !values['no-write']);

/**
 * Rate limiter benchmark: for 1, 4 and 16 OS processes sharing one API key, the achieved call rate
 * against the simulator, the most calls it saw in any 1-second window, and the p50/p95 limiter wait.
 * Writes the "Rate limiter" section of docs/benchmarks.md (other sections are kept).
 *
 *   pnpm --filter @clore-batch/bench exec tsx limiter.ts [--calls 48] [--general 1100] [--create 5200]
 *     [--sim-general 1000] [--sim-create 5000] [--processes 1,4,16] [--no-write]
 *
 * `--calls` is the total per run, split evenly over the processes.
 */
import { randomUUID } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { hashApiKey } from '@clore-batch/clore';
import { startSimulator } from '@clore-batch/clore-sim';
import { captureOutput, spawnTracked, startRedis, stopChild } from '@clore-batch/testing';
import { Redis } from 'ioredis';
import { writeSection } from './lib/doc';
import type { BenchChildConfig, BenchChildResult } from './limiter-child';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '48' },
    general: { type: 'string', default: '1100' },
    create: { type: 'string', default: '5200' },
    'sim-general': { type: 'string', default: '1000' },
    'sim-create': { type: 'string', default: '5000' },
    processes: { type: 'string', default: '1,4,16' },
    'no-write': { type: 'boolean', default: false },
  },
});

const CHILD = fileURLToPath(new URL('./limiter-child.ts', import.meta.url));
const HERE = fileURLToPath(new URL('.', import.meta.url));
const KEY = 'bench-limiter-key';
const totalCalls = Number(values.calls);
const general = Number(values.general);
const create = Number(values.create);
const simLimits = { generalMs: Number(values['sim-general']), createMs: Number(values['sim-create']) };
const processCounts = values.processes.split(',').map(Number);

interface RunResult {
  processes: number;
  calls: number;
  rejected429: number;
  callsPerSecond: number;
  allowedPerSecond: number;
  maxInOneSecond: number;
  minGapMs: number;
  waitP50Ms: number;
  waitP95Ms: number;
  errors: Record<string, number>;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) {
    return 0;
  }
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? 0;
}

function maxInWindow(times: number[], windowMs: number): number {
  let best = 0;
  let start = 0;
  for (let end = 0; end < times.length; end += 1) {
    while ((times[end] ?? 0) - (times[start] ?? 0) >= windowMs) {
      start += 1;
    }
    best = Math.max(best, end - start + 1);
  }
  return best;
}

async function run(processes: number, redisUrl: string): Promise<RunResult> {
  const sim = await startSimulator({ seed: 9, servers: 40, limits: simLimits, keys: [{ key: KEY }] });
  const redis = new Redis(redisUrl);
  const id = `bench-${randomUUID()}`;
  const perProcess = Math.max(1, Math.round(totalCalls / processes));
  const children = Array.from({ length: processes }, () => {
    const config: BenchChildConfig = {
      simUrl: sim.url,
      apiKey: KEY,
      redisUrl,
      prefix: id,
      generalSpacingMs: general,
      createSpacingMs: create,
      calls: perProcess,
      readyKey: `${id}:ready`,
      goKey: `${id}:go`,
    };
    const child = spawnTracked('node', ['--import', 'tsx', CHILD, JSON.stringify(config)], { cwd: HERE });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, output: captureOutput(child, 256_000), exited };
  });
  try {
    const deadline = Date.now() + 120_000;
    while (Number(await redis.get(`${id}:ready`)) < processes) {
      if (Date.now() > deadline) {
        throw new Error('children did not start');
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await redis.set(`${id}:go`, '1', 'PX', 3_600_000);
    const codes = await Promise.all(children.map((c) => c.exited));
    const results = children.map((c, i) => {
      if (codes[i] !== 0) {
        throw new Error(`child ${i} exited ${codes[i]}: ${c.output()}`);
      }
      return JSON.parse(c.output().trim().split('\n').at(-1) ?? '{}') as BenchChildResult;
    });
    const response = await fetch(`${sim.url}/_sim/calls`);
    const log = (await response.json()) as {
      calls: { keyHash: string | null; at: number; code: number | null }[];
    };
    const calls = log.calls.filter((c) => c.keyHash === hashApiKey(KEY)).sort((a, b) => a.at - b.at);
    const times = calls.map((c) => c.at);
    const spanMs = (times.at(-1) ?? 0) - (times[0] ?? 0);
    const waits = results.flatMap((r) => r.waitsMs).sort((a, b) => a - b);
    const errors: Record<string, number> = {};
    for (const r of results) {
      for (const [code, n] of Object.entries(r.errors)) {
        errors[code] = (errors[code] ?? 0) + n;
      }
    }
    let minGapMs = Number.POSITIVE_INFINITY;
    for (let i = 1; i < times.length; i += 1) {
      minGapMs = Math.min(minGapMs, (times[i] ?? 0) - (times[i - 1] ?? 0));
    }
    return {
      processes,
      calls: calls.length,
      rejected429: calls.filter((c) => c.code === 5).length,
      callsPerSecond: spanMs > 0 ? ((calls.length - 1) * 1000) / spanMs : 0,
      allowedPerSecond: 1000 / general,
      maxInOneSecond: maxInWindow(times, 1000),
      minGapMs,
      waitP50Ms: percentile(waits, 50),
      waitP95Ms: percentile(waits, 95),
      errors,
    };
  } finally {
    await Promise.all(children.map((c) => stopChild(c.child)));
    await redis.quit();
    await sim.close();
  }
}

function section(results: RunResult[]): string {
  const date = new Date().toISOString().slice(0, 10);
  const machine = `${cpus().length} cores (shared with other work while measuring), ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.versions.node}`;
  const rows = results.map(
    (r) =>
      `| ${r.processes} | ${r.calls} | ${r.rejected429} | ${r.callsPerSecond.toFixed(3)} | ${(
        (100 * r.callsPerSecond) / r.allowedPerSecond
      ).toFixed(
        1,
      )}% | ${r.maxInOneSecond} | ${r.minGapMs.toFixed(0)} | ${(r.waitP50Ms / 1000).toFixed(2)} | ${(
        r.waitP95Ms / 1000
      ).toFixed(2)} |`,
  );
  const total429 = results.reduce((n, r) => n + r.rejected429, 0);
  const closest = Math.min(...results.map((r) => r.minGapMs));
  const errors = results.flatMap((r) => Object.entries(r.errors).map(([code, n]) => `${n} × ${code}`));
  return [
    '## Rate limiter',
    '',
    'How close the shared Redis limiter (packages/clore) keeps N OS processes that share one API key to',
    'the allowed rate, without a single 429.',
    '',
    `- Machine: ${machine}. Measured ${date}.`,
    `- Run: \`${['pnpm --filter @clore-batch/bench exec tsx limiter.ts', ...process.argv.slice(2)].join(' ')}\``,
    `  (bench/limiter.ts). Per process count: a simulator that refuses calls closer than ${simLimits.generalMs} ms (creates ${simLimits.createMs} ms); the limiter`,
    `  spaces them ${general} ms (creates ${create} ms); ${totalCalls} calls per run split over the processes, each`,
    '  process calling wallets, my_orders and marketplace in turn, one after another, all in the `reads`',
    '  lane; the processes start together. Rates, 1-second windows and gaps come from the simulator call',
    '  log (arrival times); waits from the limiter (`acquire()` until the caller may send).',
    '',
    '| processes | calls | 429s | calls/s | of allowed (1/spacing) | most calls in any 1 s | closest two calls (ms) | wait p50 (s) | wait p95 (s) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `- ${total429} answers with code 5 in all runs; the closest two calls of the key arrived ${closest.toFixed(0)} ms apart`,
    `  (the limit is ${simLimits.generalMs} ms, the spacing ${general} ms: what is lost comes from processes that send a`,
    '  little after their slot, more of it with 16 processes on 2 cores).',
    '- Each process waits its turn behind the others (FIFO within a lane), so the wait grows with the',
    '  number of processes: about N × spacing; p95 close to p50 means no process was served out of turn.',
    `- Client errors: ${errors.length === 0 ? 'none' : errors.join(', ')}.`,
    '',
  ].join('\n');
}

const redis = await startRedis();
const results: RunResult[] = [];
try {
  for (const processes of processCounts) {
    const result = await run(processes, redis.url);
    results.push(result);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
} finally {
  await redis.stop();
}
const text = section(results);
process.stdout.write(`\n${text}\n`);
if (!values['no-write']) {
  await writeSection('## Rate limiter', text);
}

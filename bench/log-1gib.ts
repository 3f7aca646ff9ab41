/**
 * A job that prints 1 GiB: log throughput into DATA_DIR, and the peak memory of the worker process,
 * the API process (while a client follows the job's log over SSE) and Redis. The worker and the API
 * run as separate OS processes (`node --import tsx apps/<app>/src/main.ts`, production defaults);
 * the simulator (and so the job's sshd) runs in this process; Redis is a redis-server of its own.
 * The 1 GiB log is deleted afterwards. Writes "1 GiB log".
 *
 *   pnpm --filter @clore-batch/bench exec tsx log-1gib.ts [--mib 1024] [--no-write]
 */
import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isTerminal, type JobRecord } from '@clore-batch/shared';
import { captureOutput, freePort, spawnTracked, startRedis, stopChild } from '@clore-batch/testing';
import { Redis } from 'ioredis';
import { machineLine, publishSection } from './lib/doc';
import { benchSpec, startStack } from './lib/stack';
import { fixed, sleep } from './lib/stats';

const { values } = parseArgs({
  options: { mib: { type: 'string', default: '1024' }, 'no-write': { type: 'boolean', default: false } },
});
const BYTES = Number(values.mib) * 1024 * 1024;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TOKEN = `bench-${randomUUID()}`;
const MiB = 1024 * 1024;
const log = (text: string) => process.stderr.write(`[log-1gib] ${text}\n`);

async function procKb(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
}

async function redisMemory(redis: Redis): Promise<{ rss: number; peak: number }> {
  const info = await redis.info('memory');
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  return { rss: field('used_memory_rss'), peak: field('used_memory_peak') };
}

function spawnApp(app: 'worker' | 'api', env: Record<string, string>) {
  const pairs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const child = spawnTracked(
    'env',
    [...pairs, process.execPath, '--import', 'tsx', `apps/${app}/src/main.ts`],
    {
      cwd: ROOT,
    },
  );
  return { child, output: captureOutput(child, 16_000) };
}

/** Follow the job's log over SSE until the stream ends; bytes received and the last log offset. */
async function followSse(
  url: string,
  jobId: string,
  progress: { bytes: number; offset: number },
): Promise<void> {
  const response = await fetch(`${url}/v1/jobs/${jobId}/logs?follow=1`, {
    headers: { authorization: `Bearer ${TOKEN}`, accept: 'text/event-stream' },
  });
  if (response.body === null || response.status !== 200) {
    throw new Error(`SSE answered ${response.status}`);
  }
  let tail = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    progress.bytes += chunk.byteLength;
    tail = (tail + Buffer.from(chunk).toString('latin1')).slice(-4096);
    const ids = [...tail.matchAll(/^id: (\d+)\./gm)];
    const last = ids.at(-1)?.[1];
    if (last !== undefined) {
      progress.offset = Number(last);
    }
  }
}

const redisHandle = await startRedis({ private: true });
const stack = await startStack({
  sim: { seed: 3, limits: { generalMs: 1000, createMs: 5000 }, provisioningMs: [1000, 3000] },
  noWorker: true,
  redis: redisHandle,
});
const apiPort = await freePort();
const env = { ...stack.env, API_TOKENS: `bench:submit:${TOKEN}`, HOST: '127.0.0.1', PORT: String(apiPort) };
const worker = spawnApp('worker', env);
const api = spawnApp('api', env);
const probe = new Redis(redisHandle.url);
const apiUrl = `http://127.0.0.1:${apiPort}`;
let text = '';
try {
  for (let i = 0; ; i += 1) {
    const ok = await fetch(`${apiUrl}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) {
      break;
    }
    if (i > 300) {
      throw new Error(`the API did not start\n${api.output()}`);
    }
    await sleep(100);
  }
  const command = `yes 'clore-batch 1 GiB log line: 0123456789 abcdefghijklmnopqrstuvwxyz' | head -c ${BYTES}`;
  const submitted = await fetch(`${apiUrl}/v1/jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(benchSpec(command)),
  });
  const job = (await submitted.json()) as JobRecord;
  if (submitted.status !== 201) {
    throw new Error(`submit answered ${submitted.status}: ${JSON.stringify(job)}`);
  }
  const sse = { bytes: 0, offset: 0 };
  const following = followSse(apiUrl, job.id, sse);
  const logPath = join(stack.dataDir, 'jobs', job.id, 'output.log');
  let firstByteAt: number | undefined;
  let fullAt: number | undefined;
  let redisRssPeak = 0;
  let final: JobRecord | undefined;
  const deadline = Date.now() + 20 * 60_000;
  while (Date.now() < deadline) {
    const size = await stat(logPath).then(
      (s) => s.size,
      () => 0,
    );
    if (size > 0 && firstByteAt === undefined) {
      firstByteAt = Date.now();
    }
    if (size >= BYTES && fullAt === undefined) {
      fullAt = Date.now();
    }
    redisRssPeak = Math.max(redisRssPeak, (await redisMemory(probe)).rss);
    final = await stack.store.get(job.id);
    if (isTerminal(final.state)) {
      break;
    }
    await sleep(250);
  }
  const sseStarted = Date.now();
  await Promise.race([following, sleep(120_000)]);
  const sseDoneAfterJob = Date.now() - sseStarted;
  const size = await stat(logPath).then((s) => s.size);
  const workerPeak = await procKb(worker.child.pid as number, 'VmHWM');
  const apiPeak = await procKb(api.child.pid as number, 'VmHWM');
  const redisMem = await redisMemory(probe);
  const seconds = ((fullAt ?? Date.now()) - (firstByteAt ?? Date.now())) / 1000;
  const running = final?.events.find((e) => e.to === 'running');
  const exited = final?.events.find((e) => e.event === 'command_exited');
  log(
    JSON.stringify({ state: final?.state, size, seconds, sse, workerPeak, apiPeak, redisMem, redisRssPeak }),
  );
  text = [
    '## 1 GiB log',
    '',
    'A job whose command prints 1 GiB: how fast the log reaches DATA_DIR and what it costs in memory.',
    '',
    `- Machine: ${machineLine()}.`,
    `- Run: \`pnpm --filter @clore-batch/bench exec tsx log-1gib.ts --mib ${BYTES / MiB}\` (bench/log-1gib.ts).`,
    `- Command: \`yes 'clore-batch 1 GiB log line: …' | head -c ${BYTES}\` (67-byte lines). The worker and the`,
    '  API run as separate OS processes (`node --import tsx apps/{worker,api}/src/main.ts`, production',
    '  defaults: LOG_TAIL_BYTES 1 MiB); the job is submitted with `POST /v1/jobs` and a client follows',
    '  `GET /v1/jobs/:id/logs?follow=1` (SSE) from the start to the end. The simulator (its sshd runs the',
    '  command on this machine) is in the benchmark process; Redis is its own redis-server.',
    '- Throughput: from the first byte in `<DATA_DIR>/jobs/<id>/output.log` to the file holding every byte',
    '  (its size sampled every 250 ms). Peak RSS: `VmHWM` of each process at the end; Redis: its',
    '  `used_memory_rss` sampled every 250 ms and `used_memory_peak` from INFO.',
    '',
    '| figure | value |',
    '| --- | --- |',
    `| job | ${final?.state ?? 'unknown'}${final?.exitCode === undefined ? '' : `, exit ${final.exitCode}`} |`,
    `| log file size | ${size} bytes (${size === BYTES ? 'complete' : `expected ${BYTES}`}) |`,
    `| log throughput into DATA_DIR | **${fixed(size / MiB / seconds, 1)} MiB/s** (${fixed(seconds, 1)} s for ${fixed(size / MiB, 0)} MiB) |`,
    `| running → command exit recorded | ${running && exited ? `${fixed((Date.parse(exited.at) - Date.parse(running.at)) / 1000, 1)} s` : 'n/a'} |`,
    `| SSE client: bytes received / last log offset | ${fixed(sse.bytes / MiB, 0)} MiB / ${sse.offset} (${sse.offset === size ? 'caught up' : 'behind'}), stream closed ${fixed(sseDoneAfterJob / 1000, 1)} s after the job ended |`,
    `| worker process peak RSS | **${fixed(workerPeak / 1024, 0)} MiB** |`,
    `| API process peak RSS (serving the SSE follower) | **${fixed(apiPeak / 1024, 0)} MiB** |`,
    `| Redis peak RSS (sampled) / used_memory_peak | **${fixed(redisRssPeak / MiB, 1)} MiB** / ${fixed(redisMem.peak / MiB, 1)} MiB |`,
    '',
    '- By design no process holds the log: the worker appends it to the file (Redis keeps a 1 MiB tail),',
    '  and the SSE stream is pull-based (the next chunk is read once the socket has drained).',
    '',
  ].join('\n');
} finally {
  await stopChild(worker.child, 15_000);
  await stopChild(api.child, 15_000);
  await probe.quit();
  await stack.close();
  await redisHandle.stop();
}
await publishSection('## 1 GiB log', text, !values['no-write']);

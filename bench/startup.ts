/**
 * Start-up of the api and the worker, run three ways side by side: `node --import tsx src/main.ts`
 * with tsx's transform cache off (a fresh container: what the images ran before decision 0139),
 * the same with a warm cache (a developer's machine), and the compiled bundle `node dist/main.js`
 * (the images now; built by `pnpm build` first). Time from spawn to ready (api: `/healthz` answers
 * 200; worker: its "worker started" log line) and resident memory when ready and 2 s later. Each
 * round starts every variant once, in a rotating order; Redis is a private redis-server, Clore a
 * closed loopback port (neither app calls it before it is ready). Writes "Start-up: tsx vs compiled".
 *
 *   pnpm --filter @clore-batch/bench exec tsx startup.ts [--rounds 7] [--no-write]
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { captureOutput, freePort, spawnTracked, startRedis, stopChild, waitFor } from '@clore-batch/testing';
import { machineLine, publishSection } from './lib/doc';
import { ascending, fixed, percentile, sleep } from './lib/stats';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '7' }, 'no-write': { type: 'boolean', default: false } },
});
const ROUNDS = Number(values.rounds);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SETTLE_MS = 2_000;
const log = (text: string) => process.stderr.write(`[startup] ${text}\n`);

type App = 'api' | 'worker';
interface Variant {
  name: string;
  args: string[];
  env: Record<string, string>;
}
const VARIANTS: Variant[] = [
  { name: 'tsx, cold cache', args: ['--import', 'tsx', 'src/main.ts'], env: { TSX_DISABLE_CACHE: '1' } },
  { name: 'tsx, warm cache', args: ['--import', 'tsx', 'src/main.ts'], env: {} },
  { name: 'compiled dist/main.js', args: ['dist/main.js'], env: {} },
];
interface Sample {
  readyMs: number;
  rssReadyMiB: number;
  rssSettledMiB: number;
}

async function rssMiB(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(text)?.[1] ?? Number.NaN) / 1024;
}

async function healthz(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/healthz`)).status === 200;
  } catch {
    return false;
  }
}

/** One start: spawn, wait until ready, read RSS now and after SETTLE_MS, SIGTERM. */
async function startOnce(app: App, variant: Variant, base: Record<string, string>): Promise<Sample> {
  const port = await freePort();
  const env = { ...base, ...variant.env, PORT: String(port) };
  const started = performance.now();
  const child = spawnTracked(
    'env',
    [...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, ...variant.args],
    { cwd: join(ROOT, 'apps', app) },
  );
  const output = captureOutput(child, 64_000);
  try {
    const ready =
      app === 'api'
        ? () => healthz(`http://127.0.0.1:${port}`)
        : () => output().includes('"msg":"worker started"');
    await waitFor(
      async () => {
        if (child.exitCode !== null) {
          throw new Error(`${app} (${variant.name}) exited ${child.exitCode}: ${output()}`);
        }
        return (await ready()) || undefined;
      },
      { timeoutMs: 60_000, intervalMs: 5 },
    );
    const readyMs = performance.now() - started;
    const pid = child.pid ?? 0;
    const rssReadyMiB = await rssMiB(pid);
    await sleep(SETTLE_MS);
    return { readyMs, rssReadyMiB, rssSettledMiB: await rssMiB(pid) };
  } finally {
    await stopChild(child, 10_000);
  }
}

function summary(samples: Sample[], pick: (s: Sample) => number, digits: number): string {
  const sorted = ascending(samples.map(pick));
  return `${fixed(percentile(sorted, 50), digits)} (${fixed(sorted[0] ?? 0, digits)}–${fixed(sorted.at(-1) ?? 0, digits)})`;
}

log('pnpm build (api, worker)');
execFileSync(
  'pnpm',
  ['exec', 'turbo', 'run', 'build', '--filter=@clore-batch/api', '--filter=@clore-batch/worker'],
  {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
const redis = await startRedis({ private: true });
const dataDir = await mkdtemp(join(tmpdir(), 'bench-startup-'));
const base = {
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '',
  NODE_ENV: 'production',
  LOG_LEVEL: 'info',
  REDIS_URL: redis.url,
  REDIS_PREFIX: 'bench-startup',
  DATA_DIR: dataDir,
  HOST: '127.0.0.1',
  SECRETS_KEY: 'bench-startup-secrets-key-0123456789abcdef',
  API_TOKENS: 'bench:admin:bench-startup-token-0123',
  CLORE_API_KEY: 'bench-startup-key',
  CLORE_API_URL: 'http://127.0.0.1:9',
};
const samples = new Map<string, Sample[]>();
try {
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const app of ['api', 'worker'] as const) {
      for (let i = 0; i < VARIANTS.length; i += 1) {
        const variant = VARIANTS[(round + i) % VARIANTS.length] as Variant;
        const sample = await startOnce(app, variant, base);
        const key = `${app}\t${variant.name}`;
        samples.set(key, [...(samples.get(key) ?? []), sample]);
        log(
          `round ${round + 1}/${ROUNDS} ${app} ${variant.name}: ready ${fixed(sample.readyMs, 0)} ms, RSS ${fixed(sample.rssReadyMiB)} → ${fixed(sample.rssSettledMiB)} MiB`,
        );
      }
    }
  }
} finally {
  await redis.stop();
  await rm(dataDir, { recursive: true, force: true });
}

const rows = [...samples].map(([key, list]) => {
  const [app, variant] = key.split('\t');
  return `| ${app} | ${variant} | ${summary(list, (s) => s.readyMs, 0)} | ${summary(list, (s) => s.rssReadyMiB, 0)} | ${summary(list, (s) => s.rssSettledMiB, 0)} |`;
});
const text = `## Start-up: tsx vs compiled

\`pnpm --filter @clore-batch/bench exec tsx startup.ts --rounds ${ROUNDS}\` (decision 0139). Each app
started ${ROUNDS} times per way, production settings, a private redis-server; median (min–max).
Ready: spawn → the api's \`/healthz\` answers 200 / the worker logs "worker started" (after it has
connected to Redis and joined the fleet). RSS: resident memory at ready and ${SETTLE_MS / 1000} s later.
"tsx, cold cache" (\`TSX_DISABLE_CACHE=1\`) is what a fresh container of the former images did at every
start; "warm" is a developer's machine running the sources again.

| app | run as | ready, ms | RSS at ready, MiB | RSS ${SETTLE_MS / 1000} s later, MiB |
|---|---|---|---|---|
${rows.join('\n')}

${machineLine()}.
`;
await publishSection('## Start-up: tsx vs compiled', text, !values['no-write']);

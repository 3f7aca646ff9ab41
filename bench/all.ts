/**
 * Every benchmark, one after the other, each rewriting its own section of docs/benchmarks.md
 * (`pnpm bench` at the root). Each runs as its own process, so one failing does not stop the rest;
 * the exit code is non-zero if any failed. About 40 minutes in all on 2 cores (the real API limits
 * make most of them slow on purpose). The arguments are the ones the published figures were made with.
 *
 *   pnpm bench [-- --only economy,launch] [-- --skip limiter]
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const BENCHMARKS: { name: string; file: string; args: string[] }[] = [
  { name: 'limiter', file: 'limiter.ts', args: ['--calls', '96'] },
  { name: 'api', file: 'api.ts', args: ['--requests', '4000', '--concurrency', '16', '--rounds', '8'] },
  { name: 'economy', file: 'economy.ts', args: ['--jobs', '50'] },
  { name: 'launch', file: 'launch.ts', args: ['--jobs', '200', '--window', '300'] },
  { name: 'overhead', file: 'overhead.ts', args: ['--jobs', '20', '--every', '6'] },
  { name: 'tenants', file: 'tenants.ts', args: ['--backlog', '200', '--every', '10', '--for', '150'] },
  { name: 'sweeps', file: 'sweeps.ts', args: ['--jobs', '100'] },
  { name: 'dashboard-charts', file: 'dashboard-charts.ts', args: ['--jobs', '10000', '--rounds', '20'] },
  { name: 'log', file: 'log-1gib.ts', args: ['--mib', '1024'] },
  { name: 'startup', file: 'startup.ts', args: ['--rounds', '7'] },
  { name: 'cli-startup', file: 'cli-startup.ts', args: ['--runs', '15'] },
];

const { values } = parseArgs({
  // pnpm passes a literal `--` through (`pnpm bench -- --only economy`).
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: { only: { type: 'string' }, skip: { type: 'string' } },
});
const only = values.only?.split(',');
const skip = values.skip?.split(',') ?? [];
const HERE = fileURLToPath(new URL('.', import.meta.url));

function run(file: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
      cwd: HERE,
      stdio: 'inherit',
    });
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

const failed: string[] = [];
for (const bench of BENCHMARKS) {
  if ((only !== undefined && !only.includes(bench.name)) || skip.includes(bench.name)) {
    continue;
  }
  const started = Date.now();
  process.stderr.write(`\n=== ${bench.name}: tsx ${bench.file} ${bench.args.join(' ')}\n`);
  const code = await run(bench.file, bench.args);
  process.stderr.write(
    `=== ${bench.name}: exit ${code} after ${Math.round((Date.now() - started) / 1000)} s\n`,
  );
  if (code !== 0) {
    failed.push(bench.name);
  }
}
if (failed.length > 0) {
  process.stderr.write(`failed: ${failed.join(', ')}\n`);
  process.exit(1);
}

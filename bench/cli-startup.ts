/**
 * How fast a `clore-batch` call starts (docs/decisions/0143-cli-startup.md): the packaged CLI
 * (`pnpm pack:cli`, installed with `npm install -g <tgz> --prefix`) against the monorepo's
 * TypeScript run in place (`apps/cli/bin/clore-batch.mjs`, tsx), for `--version`, `--help` and a
 * real `status` call (one authenticated GET of a finished job from a sandbox's API), each command
 * `--runs` times interleaved with bare `node -e 0`; medians and fastest runs. Writes "CLI start time".
 *
 *   pnpm --filter @clore-batch/bench exec tsx cli-startup.ts [--runs 15] [--no-write]
 */
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { installPackagedCli } from '../apps/cli/scripts/install-package';
import { startTimes, type Timed } from '../apps/cli/scripts/start-time';
import { startSandbox } from '../apps/cli/src/sandbox/start-sandbox';
import { machineLine, publishSection } from './lib/doc';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '15' }, 'no-write': { type: 'boolean', default: false } },
});
const RUNS = Number(values.runs);
const IN_PLACE = fileURLToPath(new URL('../apps/cli/bin/clore-batch.mjs', import.meta.url));
const log = (text: string) => process.stderr.write(`[cli-startup] ${text}\n`);

log('packing and installing the CLI');
const cli = await installPackagedCli();
log('starting a sandbox');
const sandbox = await startSandbox({
  port: 0,
  provisioningMs: [100, 300],
  simLimits: { generalMs: 100, createMs: 500 },
  appEnv: { LOG_LEVEL: 'warn', ORDER_POLL_INTERVAL_MS: '200', MARKETPLACE_REFRESH_MS: '1000' },
});
try {
  const env = { ...process.env, CLORE_BATCH_URL: sandbox.url, CLORE_BATCH_TOKEN: sandbox.token };
  const submit = [
    'submit',
    '--gpu',
    'RTX 3090',
    '--image',
    'ubuntu:22.04',
    '--max-price',
    '3',
    '--budget',
    '1',
  ];
  // Asynchronous: the simulator answers from this process.
  const { stdout } = await promisify(execFile)(cli.bin, [...submit, '--wait', '--json', '--', 'echo hi'], {
    env,
  });
  const jobId = (JSON.parse(stdout) as { job: { id: string } }).job.id;
  log(`timing ${RUNS} runs of each command`);
  const commands: Timed[] = [{ label: 'node -e 0', command: [process.execPath, '-e', '0'] }];
  for (const [where, bin] of [
    ['installed package', [cli.bin]],
    ['in place (tsx)', [process.execPath, IN_PLACE]],
  ] as const) {
    for (const args of [['--version'], ['--help'], ['status', jobId]]) {
      commands.push({ label: `${where}: clore-batch ${args.join(' ')}`, command: [...bin, ...args] });
    }
  }
  const figures = await startTimes(commands, RUNS, env);
  const rows = figures.map((f) => `| ${f.label.replace(jobId, 'ID')} | ${f.medianMs} | ${f.minMs} |`);
  await publishSection(
    '## CLI start time',
    `## CLI start time

\`pnpm --filter @clore-batch/bench exec tsx cli-startup.ts --runs ${RUNS}\`: wall time of a whole
\`clore-batch\` process (start, work, exit), ${RUNS} runs of each command interleaved with the others.
"installed package" is \`pnpm pack:cli\` installed with \`npm install -g <tgz> --prefix\` (one esbuild
bundle, commands loaded when they run); "in place" is the monorepo's \`apps/cli/bin/clore-batch.mjs\`
(TypeScript through tsx). \`status ID\` is one authenticated GET of a finished job from a sandbox's API
on this machine. \`node -e 0\` is bare Node, the floor. ${machineLine()}.

| command | median, ms | fastest, ms |
|---|---|---|
${rows.join('\n')}
`,
    !values['no-write'],
  );
} finally {
  await sandbox.stop();
  await rm(cli.dir, { recursive: true, force: true });
}

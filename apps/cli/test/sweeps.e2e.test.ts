import { describe, expect } from 'vitest';
import { ApiClient } from '../src/api/api-client';
import type { Sandbox } from '../src/sandbox/start-sandbox';
import { GPU, runCli } from './support/run-cli';
import { sandboxTest } from './support/sandbox-fixture';

/**
 * `submit --array/--matrix --wait` against a sandbox: real jobs (tiny `echo`s) on the simulator's
 * sshd hosts, the progress lines, and the sweep's exit code (0 all succeeded, 107 otherwise).
 */
const test = sandboxTest();

let sandbox: Sandbox;
let env: Record<string, string>;

test.beforeAll(async ({ sandbox: started }) => {
  sandbox = started;
  env = { CLORE_BATCH_URL: sandbox.url, CLORE_BATCH_TOKEN: sandbox.token, CLORE_BATCH_SWEEP_POLL_MS: '300' };
}, 180_000);

const LINE = /^sweep (swp_[0-9A-Z]{26}): (\d+)\/(\d+) done, (\d+) failed, \$[\d.]+$/;

describe('sweeps from the CLI', () => {
  test('submit --array 3 --wait runs three jobs, one progress line per change, exit 0', async () => {
    const result = await runCli(
      ['submit', ...GPU, '--array', '3', '--wait', '--', 'echo "point $CLORE_BATCH_INDEX"'],
      env,
    );
    expect(result.stderr).toContain('submitted sweep swp_');
    expect(result.code).toBe(0);
    const lines = result.stderr.split('\n').filter((line) => LINE.test(line));
    expect(lines.at(-1)).toMatch(/: 3\/3 done, 0 failed, /);
    // Not a TTY: a line only when the progress changed.
    expect(new Set(lines).size).toBe(lines.length);
    const sweepId = LINE.exec(lines[0] ?? '')?.[1] as string;
    const client = new ApiClient({ baseUrl: sandbox.url, token: sandbox.token });
    const jobs = (await client.listJobs({ sweepId })).jobs;
    expect(
      jobs.map((job) => [job.state, (job.spec as { env: Record<string, string> }).env.CLORE_BATCH_INDEX]),
    ).toEqual([
      ['succeeded', '0'],
      ['succeeded', '1'],
      ['succeeded', '2'],
    ]);
    const logs = await Promise.all(jobs.map((job) => runCli(['logs', job.id], env)));
    expect(logs.map((log) => log.stdout)).toEqual(['point 0\n', 'point 1\n', 'point 2\n']);
    const status = await runCli(['status', sweepId], env);
    expect(status.stdout).toContain(`sweep ${sweepId}: 3/3 done, 0 failed`);
    expect(status.stdout).toContain('succeeded 3');
  }, 180_000);

  test('a matrix in which one point fails exits 107', async () => {
    const result = await runCli(
      ['submit', ...GPU, '--matrix', 'CODE=0,3', '--wait', '--json', '--', 'echo "code $CODE"; exit $CODE'],
      env,
    );
    expect(result.code).toBe(107);
    const doc = JSON.parse(result.stdout) as {
      sweep: { total: number; counts: Record<string, number> };
      exit: { code: number };
    };
    expect(doc.exit.code).toBe(107);
    expect(doc.sweep).toMatchObject({ total: 2, done: true, counts: { succeeded: 1, failed: 1 } });
    expect(result.stderr).toMatch(/: 2\/2 done, 1 failed, /);
  }, 180_000);
});

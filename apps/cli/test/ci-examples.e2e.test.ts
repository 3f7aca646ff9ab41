import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { specIssues } from '@clore-batch/shared';
import { waitFor } from '@clore-batch/testing';
import { afterAll, describe, expect } from 'vitest';
import { parse } from 'yaml';
import { ApiClient } from '../src/api/api-client';
import type { Sandbox } from '../src/sandbox/start-sandbox';
import { REPO, runCli } from './support/run-cli';
import { sandboxTest } from './support/sandbox-fixture';

/**
 * The CI examples can't run on GitHub or GitLab from here, so: their YAML parses, every CLI flag
 * they use exists in `--help`, the job file is a valid spec, and the very shell they run (the
 * GitHub step's `run:`, the GitLab `script:`) is executed against a sandbox in a directory laid
 * out like a CI checkout (`.clore-batch` = this repo, `ci/gpu-job.yaml`). A failing job must make
 * that shell exit non-zero (the build fails).
 */
const readExample = async (name: string) => readFile(join(REPO, 'examples/ci', name), 'utf8');

interface GithubWorkflow {
  jobs: {
    gpu: { steps: Array<{ name?: string; run?: string; uses?: string; with?: Record<string, string> }> };
  };
}
interface GitlabJob {
  script: string[];
  after_script: string[];
  artifacts: { when: string; paths: string[] };
}

const test = sandboxTest();

let sandbox: Sandbox;
let work: string;
const HF_TOKEN = 'hf_example_secret_value_123';

test.beforeAll(async ({ sandbox: started }) => {
  sandbox = started;
  work = await mkdtemp(join(tmpdir(), 'ci-example-'));
  await symlink(REPO, join(work, '.clore-batch'));
  await mkdir(join(work, 'ci'));
}, 180_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  await rm('/root/out', { recursive: true, force: true });
}, 60_000);

/** Run a CI shell snippet with bash -e in the fake checkout, as the CI would. */
function runShell(
  script: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const shell = spawn('bash', ['-e', '-c', script], {
      cwd: work,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    shell.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    shell.once('close', (code) => resolve({ code, stderr }));
  });
}

function ciEnv(): Record<string, string> {
  return { CLORE_BATCH_URL: sandbox.url, CLORE_BATCH_TOKEN: sandbox.token, HF_TOKEN };
}

describe('CI examples', () => {
  test('parse, use only flags the CLI has, and submit a valid job file', async () => {
    const github = parse(await readExample('github-actions.yml')) as GithubWorkflow;
    const gitlab = parse(await readExample('gitlab-ci.yml')) as { 'gpu-job': GitlabJob };
    const spec = parse(await readExample('gpu-job.yaml')) as unknown;
    expect(specIssues(spec)).toEqual([]);
    const shells = [
      ...github.jobs.gpu.steps.flatMap((step) => (step.run ? [step.run] : [])),
      ...gitlab['gpu-job'].script,
      ...gitlab['gpu-job'].after_script,
    ].join('\n');
    const calls = [...shells.matchAll(/clore-batch\.mjs (\w+)([^\n;&|]*)/g)];
    expect(calls.length).toBeGreaterThanOrEqual(4);
    for (const [, command, rest] of calls) {
      const help = await runCli([command ?? '', '--help']);
      expect(help.code).toBe(0);
      for (const flag of (rest ?? '').match(/--[a-z-]+/g) ?? []) {
        expect(help.stdout, `${command} ${flag}`).toContain(flag);
      }
    }
    expect(github.jobs.gpu.steps.find((s) => s.uses === 'actions/upload-artifact@v4')?.with?.path).toContain(
      'artifacts/',
    );
    expect(gitlab['gpu-job'].artifacts).toMatchObject({
      when: 'always',
      paths: expect.arrayContaining(['artifacts/']),
    });
  });

  test("GitHub's step runs as written: the log streams, outputs land in artifacts/, the secret stays out; a failing job fails the step", async () => {
    const github = parse(await readExample('github-actions.yml')) as GithubWorkflow;
    const step = github.jobs.gpu.steps.find((s) => s.name === 'Run the GPU job')?.run ?? '';
    const script = step
      .replaceAll(`\${{ github.run_id }}`, '1001')
      .replaceAll(`\${{ github.run_attempt }}`, '1');
    await writeFile(join(work, 'ci/gpu-job.yaml'), await readExample('gpu-job.yaml'));
    const ok = await runShell(script, ciEnv());
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain('HF_TOKEN is set');
    expect(ok.stderr).not.toContain(HF_TOKEN);
    expect(await readFile(join(work, 'artifacts/root/out/result.txt'), 'utf8')).toMatch(/^built on /);
    const result = JSON.parse(await readFile(join(work, 'clore-batch-result.json'), 'utf8')) as {
      exit: { code: number };
    };
    expect(result.exit.code).toBe(0);

    const failing = (await readExample('gpu-job.yaml')).replace('set -e\n', 'set -e\n  exit 7\n');
    await writeFile(join(work, 'ci/gpu-job.yaml'), failing);
    const failed = await runShell(script.replace('gh-1001-1', 'gh-1001-2'), ciEnv());
    expect(failed.code).toBe(7);
    const failedResult = JSON.parse(await readFile(join(work, 'clore-batch-result.json'), 'utf8')) as {
      exit: unknown;
    };
    expect(failedResult.exit).toMatchObject({ code: 7, kind: 'command' });
  }, 120_000);

  test("GitLab's script runs as written, and its after_script cancels the same job on a cancelled pipeline", async () => {
    const gitlab = (parse(await readExample('gitlab-ci.yml')) as { 'gpu-job': GitlabJob })['gpu-job'];
    await writeFile(join(work, 'ci/gpu-job.yaml'), await readExample('gpu-job.yaml'));
    const env = { ...ciEnv(), CLORE_BATCH_IDEMPOTENCY_KEY: 'gl-77-88' };
    const ok = await runShell(gitlab.script.join('\n'), env);
    expect(ok.code).toBe(0);
    expect(await readFile(join(work, 'artifacts/root/out/result.txt'), 'utf8')).toMatch(/^built on /);
    const { job } = JSON.parse(await readFile(join(work, 'clore-batch-result.json'), 'utf8')) as {
      job: { id: string };
    };

    // after_script when the job had already ended: finds it through the Idempotency-Key, no new rental.
    const after = await runShell(gitlab.after_script.join('\n'), { ...env, CI_JOB_STATUS: 'canceled' });
    expect(after.code).toBe(0);
    expect(after.stderr).toContain(`job ${job.id} had already ended (succeeded)`);

    // A pipeline cancelled mid-run: the runner SIGKILLs the script (no chance to cancel), then
    // after_script cancels the still-running job and its rental.
    const slow = (await readExample('gpu-job.yaml')).replace(
      'set -e\n',
      'set -e\n  echo started; sleep 600\n',
    );
    await writeFile(join(work, 'ci/gpu-job.yaml'), slow);
    const killedEnv = { ...ciEnv(), CLORE_BATCH_IDEMPOTENCY_KEY: 'gl-77-99' };
    const runner = spawn('bash', ['-e', '-c', gitlab.script.join('\n')], {
      cwd: work,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...killedEnv },
      stdio: 'ignore',
      detached: true,
    });
    const runnerExit = new Promise((resolve) => runner.once('close', resolve));
    const client = new ApiClient({ baseUrl: sandbox.url, token: sandbox.token });
    const running = await waitFor(
      async () => (await client.listJobs({ state: 'running', limit: 1 })).jobs[0],
      { timeoutMs: 30_000 },
    );
    process.kill(-(runner.pid ?? 0), 'SIGKILL');
    await runnerExit;
    const cancel = await runShell(gitlab.after_script.join('\n'), {
      ...killedEnv,
      CI_JOB_STATUS: 'canceled',
    });
    expect(cancel.code).toBe(0);
    expect(cancel.stderr).toContain(`cancel requested for job ${running.id}`);
    await waitFor(async () => (await client.getJob(running.id)).state === 'cancelled', { timeoutMs: 20_000 });
    const orderId = (await client.getJob(running.id)).attempts?.at(-1)?.orderId;
    await waitFor(() => sandbox.sim?.orders().find((o) => o.id === orderId && !o.active), {
      timeoutMs: 20_000,
    });
  }, 120_000);
});

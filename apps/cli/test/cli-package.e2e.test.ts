import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { specIssues } from '@clore-batch/shared';
import { waitFor } from '@clore-batch/testing';
import { afterAll, describe, expect } from 'vitest';
import { parse } from 'yaml';
import { type InstalledCli, installPackagedCli } from '../scripts/install-package';
import { FORBIDDEN } from '../scripts/pack';
import { startTimes } from '../scripts/start-time';
import { ApiClient } from '../src/api/api-client';
import type { Sandbox } from '../src/sandbox/start-sandbox';
import { GithubRunner, type RunnerOptions, type Step, type StepResult } from './support/github-runner';
import { gitlabJob, jobEnvironment, runLines } from './support/gitlab-runner';
import { GPU, REPO, startProcess, userEnv } from './support/run-cli';
import { sandboxTest } from './support/sandbox-fixture';

/**
 * The CLI as users install it (`pnpm pack:cli`, `npm install -g <tgz> --prefix`, no network) and the
 * CI integration built on it, against one sandbox: the installed binary's exit codes and start
 * time, the GitHub composite action (through examples/ci/github-actions.yml, run by a stand-in
 * runner) and the GitLab template (through examples/ci/gitlab-ci.yml), each run as written: a job
 * that succeeds, one that exits 42, and a cancelled CI run whose job gets cancelled. The cases of
 * a block run side by side, each in its own fake checkout.
 */
const test = sandboxTest();
const ACTION = join(REPO, '.github/actions/run-job/action.yml');
const ACTION_REF = 'your-org/clore-batch/.github/actions/run-job@main';
const GITLAB_TEMPLATE = join(REPO, 'ci/gitlab/clore-batch.gitlab-ci.yml');
const GITLAB_REMOTE =
  'https://raw.githubusercontent.com/your-org/clore-batch/main/ci/gitlab/clore-batch.gitlab-ci.yml';
const HF_TOKEN = 'hf_example_secret_value_123';

let sandbox: Sandbox;
let cli: InstalledCli;
let client: ApiClient;
const checkouts: string[] = [];

test.beforeAll(async ({ sandbox: started }) => {
  sandbox = started;
  client = new ApiClient({ baseUrl: sandbox.url, token: sandbox.token });
  cli = await installPackagedCli();
}, 180_000);

afterAll(async () => {
  await rm(cli?.dir ?? '', { recursive: true, force: true });
  await Promise.all(checkouts.map((dir) => rm(dir, { recursive: true, force: true })));
  await rm('/root/out', { recursive: true, force: true });
}, 60_000);

const apiEnv = () => ({ CLORE_BATCH_URL: sandbox.url, CLORE_BATCH_TOKEN: sandbox.token });
const example = (name: string) => readFile(join(REPO, 'examples/ci', name), 'utf8');

/** A fake checkout of the user's repository with ci/gpu-job.yaml: the example's job, `extra` run first. */
async function checkout(extra = ''): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ci-checkout-'));
  checkouts.push(dir);
  await mkdir(join(dir, 'ci'));
  const spec = (await example('gpu-job.yaml')).replace('set -e\n', `set -e\n  ${extra}\n`);
  expect(specIssues(parse(spec))).toEqual([]);
  await writeFile(join(dir, 'ci/gpu-job.yaml'), spec);
  return dir;
}

function installed(args: string[]) {
  return startProcess(cli.bin, args, { cwd: tmpdir(), env: userEnv(apiEnv()) }).done;
}

describe('the packaged CLI', () => {
  test('installs from its tarball with no dependencies and no network, and has no sandbox', async () => {
    const manifest = JSON.parse(
      await readFile(join(cli.prefix, 'lib/node_modules/@clore-batch/cli/package.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(manifest.dependencies).toBeUndefined();
    // Bundled: the CLI, shared's spec code and the libraries; no server, Redis, SSH or test code.
    expect(Object.keys(cli.inputs)).toEqual(
      expect.arrayContaining(['cli', '@clore-batch/shared', 'commander', 'zod']),
    );
    expect(Object.keys(cli.inputs).filter((name) => FORBIDDEN.includes(name))).toEqual([]);
    expect(cli.tarball.endsWith(`/clore-batch-cli-${cli.version}.tgz`)).toBe(true);
    const own = JSON.parse(await readFile(join(REPO, 'apps/cli/package.json'), 'utf8')) as {
      version: string;
    };
    expect((await installed(['--version'])).stdout).toBe(`${own.version}\n`);
    const sandboxCall = await installed(['sandbox']);
    expect(sandboxCall.code).toBe(2);
    expect(sandboxCall.stderr).toContain('pnpm sandbox');
    expect((await installed(['--help'])).stdout).not.toMatch(/^ {2}sandbox /m);
  });

  test('starts in under 300 ms (median; on a loaded machine: under 150 ms more than bare node)', async () => {
    const figures = await startTimes(
      [
        { label: 'node -e 0', command: [process.execPath, '-e', '0'] },
        { label: 'clore-batch --version', command: [cli.bin, '--version'] },
      ],
      7,
    );
    const text = figures.map((f) => `${f.label}: median ${f.medianMs} ms, min ${f.minMs} ms`).join('; ');
    process.stderr.write(`start times (installed package): ${text}\n`);
    const node = figures[0]?.medianMs ?? 0;
    const version = figures[1]?.medianMs ?? Number.POSITIVE_INFINITY;
    expect(version < 300 || version - node < 150, `--version is too slow: ${text}`).toBe(true);
  }, 60_000);

  test("exits with the job's exit code: 0, and 42", async () => {
    const [ok, failed] = await Promise.all([
      installed(['submit', ...GPU, '--wait', '--', 'echo fine']),
      installed(['submit', ...GPU, '--wait', '--', 'echo failing; exit 42']),
    ]);
    expect(ok.stdout).toBe('fine\n');
    expect(ok.code).toBe(0);
    expect(failed.stdout).toBe('failing\n');
    expect(failed.code).toBe(42);
  }, 60_000);
});

describe.concurrent('the GitHub action, through examples/ci/github-actions.yml', () => {
  const runner = (workspace: string, runId: string, onStart?: RunnerOptions['onStart']) =>
    new GithubRunner({
      workspace,
      runId,
      actions: { [ACTION_REF]: ACTION },
      env: userEnv({ HF_TOKEN: 'not this one: the step env sets it' }),
      vars: { CLORE_BATCH_URL: sandbox.url, CLORE_BATCH_CLI: cli.tarball },
      secrets: { CLORE_BATCH_TOKEN: sandbox.token, HF_TOKEN },
      ...(onStart ? { onStart } : {}),
    });
  const steps = async () =>
    (parse(await example('github-actions.yml')) as { jobs: { gpu: { steps: Step[] } } }).jobs.gpu.steps;
  const byId = (results: StepResult[], id: string) => results.find((r) => r.id === id);
  const report = (results: StepResult[]) => results.find((r) => r.stdout.startsWith('job '))?.stdout ?? '';

  test('a job that succeeds: the step passes; job-id, exit-code and cost are outputs; outputs land in artifacts/; the secret stays out of the log', async () => {
    const work = await checkout();
    const github = runner(work, '7001');
    const results = await github.runJob(await steps());
    const run = byId(results, 'run');
    expect(run?.code, run?.stderr).toBe(0);
    expect(run?.stderr).toContain('HF_TOKEN is set');
    expect(results.map((r) => r.stderr + r.stdout).join('')).not.toContain(HF_TOKEN);
    const line = /^job (\S+) exited 0 and cost \$([\d.]+)$/m.exec(report(results));
    expect(line, report(results)).not.toBeNull();
    const job = await client.getJob(line?.[1] ?? '');
    expect(job.state).toBe('succeeded');
    expect(Number(line?.[2])).toBe(job.costUsd);
    expect(await readFile(join(work, 'artifacts/root/out/result.txt'), 'utf8')).toMatch(/^built on /);
    expect(github.jobEnv.CLORE_BATCH_KEY).toBe('gh-7001-1-gpu');
    expect(byId(results, 'cancel')?.code).toBeNull(); // skipped: the run was not cancelled
  }, 60_000);

  test('a job that exits 42: the step exits 42, and the always() step still reports it', async () => {
    const results = await runner(await checkout('exit 42'), '7002').runJob(await steps());
    expect(byId(results, 'run')?.code).toBe(42);
    expect(report(results)).toMatch(/^job \S+ exited 42 and cost \$[\d.]+$/m);
  }, 60_000);

  test('a cancelled workflow: the runner kills the step, the cancelled() step cancels the job and its rental', async () => {
    let jobId = '';
    const github = runner(await checkout('echo started; sleep 600'), '7003', async (step) => {
      if (step.id !== 'run') {
        return undefined;
      }
      const running = await waitFor(
        async () => {
          const job = await client.jobByIdempotencyKey('gh-7003-1-gpu');
          return job?.state === 'running' ? job : undefined;
        },
        { timeoutMs: 30_000 },
      );
      jobId = running.id;
      return 'cancel';
    });
    const results = await github.runJob(await steps());
    expect(byId(results, 'run')?.code).toBe('SIGKILL');
    const cancel = byId(results, 'cancel');
    expect(cancel?.code, cancel?.stderr).toBe(0);
    expect(cancel?.stderr).toContain(`cancel requested for job ${jobId}`);
    await waitFor(async () => (await client.getJob(jobId)).state === 'cancelled', { timeoutMs: 20_000 });
    const orderId = (await client.getJob(jobId)).attempts?.at(-1)?.orderId;
    await waitFor(() => sandbox.sim?.orders().find((o) => o.id === orderId && !o.active), {
      timeoutMs: 20_000,
    });
  }, 90_000);
});

describe.concurrent('the GitLab template, through examples/ci/gitlab-ci.yml', () => {
  const job = () =>
    gitlabJob(join(REPO, 'examples/ci/gitlab-ci.yml'), 'gpu-job', { [GITLAB_REMOTE]: GITLAB_TEMPLATE });
  /** The job's environment; the project's CI/CD variables (Settings) win over the file's, as in GitLab. */
  const env = async (work: string, ciJobId: string) =>
    jobEnvironment(
      await job(),
      userEnv({ CI_PIPELINE_ID: '501', CI_JOB_ID: ciJobId, CI_PROJECT_DIR: work }),
      {
        ...apiEnv(),
        HF_TOKEN,
        CLORE_BATCH_CLI: cli.tarball,
      },
    );
  const script = async () => {
    const resolved = await job();
    return [...resolved.before_script, ...resolved.script];
  };
  const dotenv = async (work: string): Promise<Record<string, string>> =>
    Object.fromEntries(
      (await readFile(join(work, 'clore-batch.env'), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );

  test('a job that succeeds: the script exits 0; the dotenv report has id, exit code, cost; outputs land in artifacts/; the secret stays out', async () => {
    expect((await job()).artifacts).toMatchObject({ when: 'always', reports: { dotenv: 'clore-batch.env' } });
    const work = await checkout();
    const ok = await runLines(await script(), work, await env(work, '601')).done;
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain('HF_TOKEN is set');
    expect(ok.stderr + ok.stdout).not.toContain(HF_TOKEN);
    const vars = await dotenv(work);
    expect(vars).toMatchObject({ CLORE_BATCH_EXIT_CODE: '0', CLORE_BATCH_STATE: 'succeeded' });
    const submitted = await client.getJob(vars.CLORE_BATCH_JOB_ID ?? '');
    expect(Number(vars.CLORE_BATCH_COST_USD)).toBe(submitted.costUsd);
    expect(await readFile(join(work, 'artifacts/root/out/result.txt'), 'utf8')).toMatch(/^built on /);
  }, 60_000);

  test('a job that exits 42: the script exits 42 and the dotenv report says so', async () => {
    const work = await checkout('exit 42');
    const failed = await runLines(await script(), work, await env(work, '602')).done;
    expect(failed.code).toBe(42);
    expect(await dotenv(work)).toMatchObject({ CLORE_BATCH_EXIT_CODE: '42', CLORE_BATCH_STATE: 'failed' });
  }, 60_000);

  test('a cancelled GitLab job: the runner kills the script, after_script cancels the job', async () => {
    const work = await checkout('echo started; sleep 600');
    const vars = await env(work, '603');
    expect(vars.CLORE_BATCH_IDEMPOTENCY_KEY).toBe('gl-501-603');
    const runner = runLines(await script(), work, vars);
    const running = await waitFor(
      async () => {
        const job = await client.jobByIdempotencyKey('gl-501-603');
        return job?.state === 'running' ? job.id : undefined;
      },
      { timeoutMs: 30_000 },
    );
    process.kill(-(runner.child.pid ?? 0), 'SIGKILL');
    await runner.done;
    const after = await runLines((await job()).after_script, work, { ...vars, CI_JOB_STATUS: 'canceled' })
      .done;
    expect(after.code, after.stderr).toBe(0);
    expect(after.stderr).toContain(`cancel requested for job ${running}`);
    await waitFor(async () => (await client.getJob(running)).state === 'cancelled', { timeoutMs: 20_000 });
  }, 90_000);
});

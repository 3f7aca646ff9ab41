import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '@clore-batch/testing';
import { afterAll, describe, expect } from 'vitest';
import { ApiClient } from '../src/api/api-client';
import type { Sandbox } from '../src/sandbox/start-sandbox';
import { rentOutAModel } from './support/market-kit';
import { type CliResult, GPU, runCli, runInTerminal, startCli } from './support/run-cli';
import { sandboxTest } from './support/sandbox-fixture';

/**
 * The CLI as a real child process against a running sandbox (Redis, the simulator with real sshd
 * hosts, the API and a worker as processes). Simulator limits and provisioning are scaled down
 * (100 ms / 500 ms, 100-300 ms to come up): same code paths, shorter clocks.
 */
let sandbox: Sandbox;
let env: Record<string, string>;
let client: ApiClient;
let scratch: string;

const test = sandboxTest({ PROVISION_TIMEOUT_SECONDS: '10' });

test.beforeAll(async ({ sandbox: started }) => {
  sandbox = started;
  env = { CLORE_BATCH_URL: sandbox.url, CLORE_BATCH_TOKEN: sandbox.token };
  client = new ApiClient({ baseUrl: sandbox.url, token: sandbox.token });
  scratch = await mkdtemp(join(tmpdir(), 'cli-e2e-'));
}, 180_000);

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
}, 60_000);

describe('submit --wait', () => {
  test("exits with the command's own code: 0, 3 and 42, with the log on stdout exactly", async () => {
    const results = await Promise.all(
      [0, 3, 42].map((code) =>
        runCli(['submit', ...GPU, '--wait', '--', `printf 'out %s\\n' ${code}; exit ${code}`], env),
      ),
    );
    const [ok, three, answer] = results as [CliResult, CliResult, CliResult];
    expect(ok).toMatchObject({ code: 0, stdout: 'out 0\n' });
    expect(three).toMatchObject({ code: 3, stdout: 'out 3\n' });
    expect(answer).toMatchObject({ code: 42, stdout: 'out 42\n' });
    expect(answer.stderr).toMatch(
      /failed: the command exited with code 42.*exit 42 \(the command's own exit code\)/,
    );
    expect(ok.stderr).toMatch(/running: /); // state changes go to stderr as plain lines (not a TTY)
  }, 90_000);

  test('exits with a distinct orchestration code: no server 110, budget spent 112, timeout 113', async () => {
    const submit = (flags: string[], command: string) =>
      runCli(
        ['submit', '--image', 'u', '--max-price', '3', ...flags, '--wait', '--json', '--', command],
        env,
      );
    // Every server of one model rented by someone else: the spec passes the submit check (issue 16:
    // a model no server has is refused at once, exit 2), but no server is free until the deadline.
    const rented = await rentOutAModel(sandbox, client);
    const [none, budget, timeout] = await Promise.all([
      submit(['--gpu', rented, '--max-price', '100', '--budget', '1', '--provision-timeout', '2'], 'true'),
      submit(['--gpu', 'RTX 3090', '--budget', '0.001'], 'sleep 60'),
      submit(['--gpu', 'RTX 3090', '--budget', '1', '--timeout', '2'], 'sleep 60'),
    ]);
    const exitOf = (result: CliResult) => (JSON.parse(result.stdout) as { exit: unknown }).exit;
    expect(none.code).toBe(110);
    expect(exitOf(none)).toEqual({
      code: 110,
      kind: 'orchestration',
      state: 'failed',
      reason: 'no_matching_server',
    });
    expect(none.stderr).toMatch(/exit 110 \(clore-batch orchestration code\)/);
    expect(budget.code).toBe(112);
    expect(exitOf(budget)).toMatchObject({ code: 112, reason: 'budget_exceeded' });
    expect(timeout.code).toBe(113);
    expect(exitOf(timeout)).toMatchObject({ code: 113, reason: 'timeout' });
  }, 90_000);

  test('--json prints one parseable document on stdout (log on stderr) saying whose exit code it is', async () => {
    const result = await runCli(
      ['submit', ...GPU, '--wait', '--json', '--name', 'json-test', '--', 'echo to-stderr; exit 3'],
      env,
    );
    expect(result.code).toBe(3);
    const doc = JSON.parse(result.stdout) as {
      job: { state: string; reason: string; exitCode: number; name: string };
      exit: unknown;
    };
    expect(doc.exit).toEqual({ code: 3, kind: 'command', state: 'failed', reason: 'command_failed' });
    expect(doc.job).toMatchObject({
      state: 'failed',
      reason: 'command_failed',
      exitCode: 3,
      name: 'json-test',
    });
    expect(result.stderr).toContain('to-stderr\n');

    const noWait = await runCli(['submit', ...GPU, '--json', '--', 'true'], env);
    expect(noWait.code).toBe(0);
    const submitted = JSON.parse(noWait.stdout) as { job: { id: string }; created: boolean };
    expect(submitted.created).toBe(true);
    const status = await runCli(['status', submitted.job.id, '--json'], env);
    expect((JSON.parse(status.stdout) as { id: string }).id).toBe(submitted.job.id);
  }, 60_000);

  test('several words after -- keep their argv; no TTY: one "rented server" line; a replay keeps the events\' times', async () => {
    const words = ['printf', '[%s]\\n', 'a b', '$HOME', "it's", '*'];
    const result = await runCli(['submit', ...GPU, '--wait', '--', ...words], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("[a b]\n[$HOME]\n[it's]\n[*]\n");
    const rented = result.stderr
      .split('\n')
      .filter((line) => /^clore-batch: \[\d\d:\d\d:\d\d\] rented server \d+ /.test(line));
    expect(rented).toHaveLength(1);
    expect(rented[0]).toMatch(/rented server \d+ \((\d+x )?RTX 3090\) at \$[\d.]+\/h$/);
    const lines = result.stderr.split('\n');
    expect(lines.findIndex((line) => line.includes('rented server'))).toBeLessThan(
      lines.findIndex((line) => / running: /.test(line)),
    );
    const id = /job (job_\w+) succeeded/.exec(result.stderr)?.[1] as string;
    const job = await client.getJob(id);
    expect(job.spec).toMatchObject({ command: "printf '[%s]\\n' 'a b' '$HOME' 'it'\\''s' '*'" });
    const attempt = job.attempts?.[0];
    expect(rented[0]).toContain(`rented server ${attempt?.serverId} `);
    // Replayed later, every event keeps the time it happened.
    const replay = await runCli(['logs', id, '--follow'], env);
    const running = job.events?.find((e) => e.type === 'state' && e.to === 'running');
    expect(replay.stderr).toContain(`clore-batch: [${running?.at.slice(11, 19)}] running: `);
    expect(replay.stderr).toContain(`clore-batch: [${attempt?.startedAt?.slice(11, 19)}] rented server `);
  }, 60_000);

  test('--outputs-dir downloads the collected files at the end', async () => {
    const remote = `/tmp/cli-e2e-out-${randomUUID()}`;
    const dir = join(scratch, 'artifacts');
    const command = `mkdir -p ${remote}/sub && printf 'alpha' > ${remote}/a.txt && printf 'beta' > ${remote}/sub/b.bin`;
    const result = await runCli(
      ['submit', ...GPU, '--output', remote, '--wait', '--outputs-dir', dir, '--', command],
      env,
    );
    expect(result.code).toBe(0);
    expect(await readFile(join(dir, remote, 'a.txt'), 'utf8')).toBe('alpha');
    expect(await readFile(join(dir, remote, 'sub/b.bin'), 'utf8')).toBe('beta');
    await rm(remote, { recursive: true, force: true });
  }, 60_000);
});

describe('logs, outputs, cancel, list', () => {
  test('logs --follow prints the whole output exactly once, however late it attaches', async () => {
    const command = 'for i in $(seq 1 40); do echo "line $i"; if [ $i = 20 ]; then sleep 2; fi; done';
    const submitted = await runCli(['submit', ...GPU, '--', command], env);
    const id = submitted.stdout.trim();
    await waitFor(async () => (await client.getJob(id)).state === 'running', { timeoutMs: 30_000 });
    const followed = await runCli(['logs', id, '--follow'], env);
    const expected = Array.from({ length: 40 }, (_, i) => `line ${i + 1}\n`).join('');
    expect(followed.code).toBe(0);
    expect(followed.stdout).toBe(expected);
    const plain = await runCli(['logs', id], env);
    expect(plain.stdout).toBe(expected);
  }, 60_000);

  test('outputs lists and downloads the files', async () => {
    const remote = `/tmp/cli-e2e-out-${randomUUID()}`;
    const submitted = await runCli(
      [
        'submit',
        ...GPU,
        '--output',
        remote,
        '--wait',
        '--json',
        '--',
        `mkdir -p ${remote} && echo 42 > ${remote}/result.txt`,
      ],
      env,
    );
    expect(submitted.code).toBe(0);
    const id = (JSON.parse(submitted.stdout) as { job: { id: string } }).job.id;
    const listed = await runCli(['outputs', id, '--json'], env);
    expect((JSON.parse(listed.stdout) as { outputs: Array<{ path: string; size: number }> }).outputs).toEqual(
      [expect.objectContaining({ path: `${remote}/result.txt`, size: 3 })],
    );
    const dir = join(scratch, 'outputs-cmd');
    const downloaded = await runCli(['outputs', id, '--dir', dir], env);
    expect(downloaded.code).toBe(0);
    expect(await readFile(join(dir, remote, 'result.txt'), 'utf8')).toBe('42\n');
    await rm(remote, { recursive: true, force: true });
  }, 60_000);

  test('cancel ends a running job and its order (the sshd stops too)', async () => {
    const submitted = await runCli(['submit', ...GPU, '--', 'echo started; sleep 600'], env);
    const id = submitted.stdout.trim();
    const running = await waitFor(
      async () => {
        const job = await client.getJob(id);
        return job.state === 'running' ? job : undefined;
      },
      { timeoutMs: 30_000 },
    );
    const orderId = running.attempts?.at(-1)?.orderId;
    expect(sandbox.sim?.orders().find((o) => o.id === orderId)).toMatchObject({
      active: true,
      sshdRunning: true,
    });
    const cancelled = await runCli(['cancel', id, '--wait'], env);
    expect(cancelled.code).toBe(0);
    expect((await client.getJob(id)).state).toBe('cancelled');
    await waitFor(() => sandbox.sim?.orders().find((o) => o.id === orderId && !o.active && !o.sshdRunning), {
      timeoutMs: 20_000,
      message: `order ${orderId} ended`,
    });
    const again = await runCli(['cancel', id], env);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('already ended (cancelled)');
  }, 60_000);

  test('Ctrl-C with --cancel-on-interrupt cancels the job and its order, and exits 114', async () => {
    const run = startCli(
      ['submit', ...GPU, '--wait', '--cancel-on-interrupt', '--', 'echo started; sleep 600'],
      env,
    );
    await waitFor(() => run.stdout().includes('started\n'), { timeoutMs: 30_000 });
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code).toBe(114);
    expect(result.stderr).toMatch(/SIGINT: cancelling job/);
    expect(result.stderr).toMatch(/was cancelled.*exit 114 \(clore-batch orchestration code\)/);
    const id = /job (job_\w+)/.exec(result.stderr)?.[1] ?? '';
    const job = await client.getJob(id);
    expect(job.state).toBe('cancelled');
    const orderId = job.attempts?.at(-1)?.orderId;
    await waitFor(() => sandbox.sim?.orders().find((o) => o.id === orderId && !o.active), {
      timeoutMs: 20_000,
    });
  }, 60_000);

  test('Ctrl-C without a terminal or --cancel-on-interrupt stops waiting (130) and leaves the job running', async () => {
    const run = startCli(['submit', ...GPU, '--wait', '--', 'echo started; sleep 600'], env);
    await waitFor(() => run.stdout().includes('started\n'), { timeoutMs: 30_000 });
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code).toBe(130);
    const id = /job (job_\w+)/.exec(result.stderr)?.[1] ?? '';
    expect(result.stderr).toContain(`clore-batch logs ${id} --follow`);
    expect((await client.getJob(id)).state).toBe('running');
    expect((await runCli(['cancel', id, '--wait', '--quiet'], env)).code).toBe(0);
  }, 60_000);

  test('on a terminal: a live status line, and Ctrl-C asks before cancelling (y: 114, N: 130 and the job runs on)', async () => {
    const typer = (reply: string) => {
      const sent = { int: false, reply: false };
      return (output: string) => {
        // Ctrl-C once the command runs and the status line shows the rented server.
        if (output.includes('READY-MARK') && /running · \d+s · server /.test(output) && !sent.int) {
          sent.int = true;
          return '\x03';
        }
        if (output.includes('? [y/N]') && !sent.reply) {
          sent.reply = true;
          return reply;
        }
        return undefined;
      };
    };
    const args = ['submit', ...GPU, '--wait', '--', 'echo READY-MARK; sleep 600'];
    const [yes, no] = await Promise.all([
      runInTerminal(args, env, typer('y\r')),
      runInTerminal(args, env, typer('n\r')),
    ]);
    // The status line: erase the line (CR, ESC[2K), dim (ESC[2m), then the fields.
    const drawn = yes.output.replaceAll('\x1b', 'ESC');
    expect(drawn).toMatch(/\rESC\[2KESC\[2mrunning · \d+s · server \d+ .*RTX 3090 · \$[\d.]+\/h · spent \$/);
    expect(yes.output).toMatch(/Cancel job job_\w+\? \[y\/N\]/);
    expect(yes.code).toBe(114);
    expect(no.code).toBe(130);
    const id = /stopped waiting; job (job_\w+) keeps running/.exec(no.output)?.[1] ?? '';
    expect((await client.getJob(id)).state).toBe('running');
    expect((await runCli(['cancel', id, '--wait', '--quiet'], env)).code).toBe(0);
  }, 60_000);

  test('list shows the jobs, newest first', async () => {
    const listed = await runCli(['list', '--json', '--limit', '3'], env);
    const { jobs } = JSON.parse(listed.stdout) as { jobs: Array<{ id: string }> };
    expect(jobs.length).toBeGreaterThan(0);
    expect(jobs.length).toBeLessThanOrEqual(3);
    expect([...jobs.map((j) => j.id)].sort().reverse()).toEqual(jobs.map((j) => j.id));
    const table = await runCli(['list', '--limit', '3'], env);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+STATE\s+REASON\s+GPU\s+DURATION\s+COST/);
  });
});

describe('errors', () => {
  test('a bad flag or a bad job file is a usage error (exit 2) naming the problem, before any request', async () => {
    const offline = { CLORE_BATCH_URL: `http://127.0.0.1:${await freePort()}`, CLORE_BATCH_TOKEN: 'x' };
    const flag = await runCli(['submit', '--gpu-count', 'two'], offline);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("'--gpu-count <n>' argument 'two' is invalid");
    const unknown = await runCli(['submit', '--gpus', 'x'], offline);
    expect(unknown).toMatchObject({ code: 2 });
    expect(unknown.stderr).toContain("unknown option '--gpus'");

    const file = join(scratch, 'bad.yaml');
    await writeFile(
      file,
      'gpu:\n  model: RTX 3090\n  count: 0\nimage: ubuntu\ncommand: echo\nmaxPricePerHourUsd: 1\nbudgetUsd: 1\ncolour: red\n',
    );
    const bad = await runCli(['submit', file], offline);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('gpu.count (--gpu-count): must be at least 1');
    expect(bad.stderr).toContain('colour: unknown field');

    const broken = await runCli(['submit', '-'], offline, '{"gpu": ');
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('job file (stdin): not valid JSON or YAML');
    // flags fix what the file lacks; the file comes from stdin
    // --wait: the job (and the rented server's sshd, a child of this process) ends within the test.
    const fixed = await runCli(
      ['submit', '-', '--budget', '1', '--wait', '--', 'true'],
      env,
      JSON.stringify({ gpu: { model: 'RTX 3090' }, image: 'u', maxPricePerHourUsd: 3 }),
    );
    expect(fixed.code).toBe(0);
  }, 60_000);

  test('API unreachable, refused token and unknown job have their own codes; the token is never printed', async () => {
    const gone = await runCli(['status', 'job_01M86QH5H0XFSYGH7T6ZBWVQRF'], {
      CLORE_BATCH_URL: 'http://127.0.0.1:9',
    });
    expect(gone.code).toBe(100);
    expect(gone.stderr).toContain('cannot reach the API at http://127.0.0.1:9');
    const secret = 'not-a-valid-token-1234567890';
    const refused = await runCli(['list'], { CLORE_BATCH_URL: sandbox.url, CLORE_BATCH_TOKEN: secret });
    expect(refused.code).toBe(101);
    expect(refused.stderr + refused.stdout).not.toContain(secret);
    const missing = await runCli(['status', 'job_01M86QH5H0XFSYGH7T6ZBWVQRF'], env);
    expect(missing.code).toBe(102);
  }, 60_000);
});

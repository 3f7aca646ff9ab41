import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@clore-batch/testing';
import { expect } from 'vitest';
import { ApiClient } from '../src/api/api-client';
import { descendants, stillAlive } from './process-tree';
import { REPO, runCli } from './run-cli';

const SANDBOX_SH = fileURLToPath(new URL('../../../scripts/sandbox.sh', import.meta.url));

/**
 * A new user's path (run by sandbox.e2e.test.ts with scaled clocks, sandbox.slow.test.ts with the real ones): `bash scripts/sandbox.sh` (bootstrap skipped: this machine has it), wait for
 * the banner, paste the printed export and submit lines into a shell, see the job's output; then
 * Ctrl-C the sandbox and find none of its processes (redis-server, sshd, api, worker) left.
 */
export async function newUserPath(args: string[]): Promise<{ startMs: number; submitMs: number }> {
  const started = Date.now();
  const child = spawn('bash', [SANDBOX_SH, ...args], {
    cwd: REPO,
    env: {
      ...process.env,
      CLORE_BATCH_SKIP_BOOTSTRAP: '1',
      REDIS_URL: '',
      CLORE_API_KEY: '',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  try {
    await waitFor(() => out.includes('Ctrl-C here stops everything') || child.exitCode !== null, {
      timeoutMs: 150_000,
      message: 'the banner or an exit',
    }).catch((error: Error) => {
      throw new Error(`${error.message}; sandbox stderr so far:\n${err}`);
    });
    if (!out.includes('Ctrl-C here stops everything')) {
      throw new Error(`the sandbox exited (${child.exitCode}) before printing its banner:\n${err}`);
    }
    expect(out).toContain('a simulated Clore marketplace');
    const exportLine =
      out
        .split('\n')
        .find((line) => line.trim().startsWith('export CLORE_BATCH_URL='))
        ?.trim() ?? '';
    const submitLine =
      out
        .split('\n')
        .find((line) => line.trim().startsWith('pnpm exec clore-batch submit'))
        ?.trim() ?? '';
    const startMs = Date.now() - started;
    expect(exportLine).not.toBe('');
    expect(submitLine).toContain('--wait');

    const submitted = Date.now();
    const pasted = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const shell = spawn('bash', ['-c', `${exportLine}\n${submitLine}`], {
        cwd: REPO,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' },
      });
      let stdout = '';
      let stderr = '';
      shell.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
      });
      shell.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
      });
      shell.once('close', (code) => resolve({ code, stdout, stderr }));
    });
    const submitMs = Date.now() - submitted;
    expect(pasted.stderr).toMatch(/succeeded/);
    expect(pasted.code).toBe(0);
    expect(pasted.stdout).toMatch(/^hello from \S+\ndone\n$/);

    // A job left running, so an order with a live sshd exists when the sandbox is stopped.
    const url = /CLORE_BATCH_URL=(\S+)/.exec(exportLine)?.[1] ?? '';
    const token = /CLORE_BATCH_TOKEN=(\S+)/.exec(exportLine)?.[1] ?? '';
    const long = await runCli(
      [
        'submit',
        '--gpu',
        'RTX 3090',
        '--image',
        'ubuntu:22.04',
        '--max-price',
        '3',
        '--budget',
        '1',
        '--',
        'sleep 600',
      ],
      {
        CLORE_BATCH_URL: url,
        CLORE_BATCH_TOKEN: token,
      },
    );
    const client = new ApiClient({ baseUrl: url, token });
    await waitFor(async () => (await client.getJob(long.stdout.trim())).state === 'running', {
      timeoutMs: 30_000,
    });

    const tree = descendants(child.pid ?? 0);
    const commands = tree.map((proc) => proc.command).join('\n');
    expect(commands).toMatch(/redis-server/);
    expect(commands).toMatch(/sshd/);
    expect(commands).toMatch(/apps\/api\/src\/main\.ts/);
    expect(commands).toMatch(/apps\/worker\/src\/main\.ts/);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(err).toContain('sandbox: stopped; nothing left running');
    await waitFor(() => stillAlive(tree).length === 0, {
      timeoutMs: 10_000,
      message: `no process of the sandbox left (alive: ${stillAlive(tree)
        .map((p) => p.command)
        .join(' | ')})`,
    });
    return { startMs, submitMs };
  } finally {
    if (child.exitCode === null && child.pid) {
      process.kill(-child.pid, 'SIGKILL');
    }
  }
}

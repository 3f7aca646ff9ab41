import { fileURLToPath } from 'node:url';
import { waitFor } from '@clore-batch/testing';
import { expect } from 'vitest';
import { ApiClient } from '../../src/api/api-client';
import { descendants, stillAlive } from './process-tree';
import { GPU, REPO, runCli, startProcess, userEnv } from './run-cli';
import { killSandbox, spawnSandbox, waitForBanner } from './sandbox-process';

const SANDBOX_SH = fileURLToPath(new URL('../../../../scripts/sandbox.sh', import.meta.url));

/**
 * A new user's path (run by sandbox.e2e.test.ts with scaled clocks, sandbox.slow.test.ts with the real ones): `bash scripts/sandbox.sh` (bootstrap skipped: this machine has it), wait for
 * the banner, paste the printed export and submit lines into a shell, see the job's output; then
 * Ctrl-C the sandbox and find none of its processes (redis-server, sshd, api, worker) left.
 */
export async function newUserPath(args: string[]): Promise<{ startMs: number; submitMs: number }> {
  const started = Date.now();
  const sandbox = spawnSandbox('bash', [SANDBOX_SH, ...args], {
    CLORE_BATCH_SKIP_BOOTSTRAP: '1',
    REDIS_URL: '',
    CLORE_API_KEY: '',
    LOG_LEVEL: 'warn',
  });
  try {
    await waitForBanner(sandbox);
    const out = sandbox.stdout();
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
    const pasted = await startProcess('bash', ['-c', `${exportLine}\n${submitLine}`], {
      cwd: REPO,
      env: userEnv(),
    }).done;
    const submitMs = Date.now() - submitted;
    expect(pasted.stderr).toMatch(/succeeded/);
    expect(pasted.code).toBe(0);
    expect(pasted.stdout).toMatch(/^hello from \S+\ndone\n$/);

    // A job left running, so an order with a live sshd exists when the sandbox is stopped.
    const url = /CLORE_BATCH_URL=(\S+)/.exec(exportLine)?.[1] ?? '';
    const token = /CLORE_BATCH_TOKEN=(\S+)/.exec(exportLine)?.[1] ?? '';
    const long = await runCli(['submit', ...GPU, '--', 'sleep 600'], {
      CLORE_BATCH_URL: url,
      CLORE_BATCH_TOKEN: token,
    });
    const client = new ApiClient({ baseUrl: url, token });
    await waitFor(async () => (await client.getJob(long.stdout.trim())).state === 'running', {
      timeoutMs: 30_000,
    });

    const tree = descendants(sandbox.child.pid ?? 0);
    const commands = tree.map((proc) => proc.command).join('\n');
    expect(commands).toMatch(/redis-server/);
    expect(commands).toMatch(/sshd/);
    expect(commands).toMatch(/apps\/api\/src\/main\.ts/);
    expect(commands).toMatch(/apps\/worker\/src\/main\.ts/);

    sandbox.child.kill('SIGINT');
    expect((await sandbox.done).code).toBe(0);
    expect(sandbox.stderr()).toContain('sandbox: stopped; nothing left running');
    await waitFor(() => stillAlive(tree).length === 0, {
      timeoutMs: 10_000,
      message: `no process of the sandbox left (alive: ${stillAlive(tree)
        .map((p) => p.command)
        .join(' | ')})`,
    });
    return { startMs, submitMs };
  } finally {
    killSandbox(sandbox);
  }
}

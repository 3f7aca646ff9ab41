import { spawn } from 'node:child_process';
import { type SimHandle, startSimulator } from '@clore-batch/clore-sim';
import { waitFor } from '@clore-batch/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, REPO, runCli } from './run-cli';

/**
 * CLORE_API_KEY set: the sandbox starts no simulator of its own, warns loudly, and the worker rents
 * through CLORE_API_URL. Here that URL is a simulator the test runs (nothing ever reaches the real
 * Clore API), so the orders it sees prove which API the sandbox used.
 */
let sim: SimHandle;

beforeAll(async () => {
  sim = await startSimulator({ keys: [{ key: 'real-mode-key' }], provisioningMs: [100, 300] });
});

afterAll(async () => {
  await sim?.close();
});

describe('clore-batch sandbox with CLORE_API_KEY', () => {
  it('uses CLORE_API_URL instead of its own simulator, and says real money is at stake', async () => {
    const child = spawn(process.execPath, [BIN, 'sandbox', '--port', '0'], {
      cwd: REPO,
      env: {
        ...process.env,
        REDIS_URL: '',
        CLORE_API_KEY: 'real-mode-key',
        CLORE_API_URL: sim.url,
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
      });
      expect(err).toContain('CLORE_API_KEY is set: this sandbox uses the REAL Clore API');
      expect(err).toContain('SPENDS REAL MONEY');
      expect(out).toContain('using the REAL Clore API');
      expect(out).not.toContain('simulator');
      const url = /CLORE_BATCH_URL=(\S+)/.exec(out)?.[1] ?? '';
      const token = /CLORE_BATCH_TOKEN=(\S+)/.exec(out)?.[1] ?? '';
      const job = await runCli(
        [
          'submit',
          '--gpu',
          'RTX 3090',
          '--image',
          'u',
          '--max-price',
          '3',
          '--budget',
          '1',
          '--wait',
          '--',
          'echo via-given-api',
        ],
        {
          CLORE_BATCH_URL: url,
          CLORE_BATCH_TOKEN: token,
        },
      );
      expect(job).toMatchObject({ code: 0, stdout: 'via-given-api\n' });
      expect(sim.orders()).toHaveLength(1);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null && child.pid) {
        process.kill(-child.pid, 'SIGKILL');
      }
    }
  }, 240_000);
});

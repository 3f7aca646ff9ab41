import { type SimHandle, startSimulator } from '@clore-batch/clore-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, GPU, runCli } from './support/run-cli';
import { killSandbox, spawnSandbox, waitForBanner } from './support/sandbox-process';

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
    const sandbox = spawnSandbox(process.execPath, [BIN, 'sandbox', '--port', '0'], {
      REDIS_URL: '',
      CLORE_API_KEY: 'real-mode-key',
      CLORE_API_URL: sim.url,
      LOG_LEVEL: 'warn',
    });
    try {
      await waitForBanner(sandbox);
      const out = sandbox.stdout();
      expect(sandbox.stderr()).toContain('CLORE_API_KEY is set: this sandbox uses the REAL Clore API');
      expect(sandbox.stderr()).toContain('SPENDS REAL MONEY');
      expect(out).toContain('using the REAL Clore API');
      expect(out).not.toContain('simulator');
      const url = /CLORE_BATCH_URL=(\S+)/.exec(out)?.[1] ?? '';
      const token = /CLORE_BATCH_TOKEN=(\S+)/.exec(out)?.[1] ?? '';
      const job = await runCli(['submit', ...GPU, '--wait', '--', 'echo via-given-api'], {
        CLORE_BATCH_URL: url,
        CLORE_BATCH_TOKEN: token,
      });
      expect(job).toMatchObject({ code: 0, stdout: 'via-given-api\n' });
      expect(sim.orders()).toHaveLength(1);
      sandbox.child.kill('SIGINT');
      expect((await sandbox.done).code).toBe(0);
    } finally {
      killSandbox(sandbox);
    }
  }, 240_000);
});

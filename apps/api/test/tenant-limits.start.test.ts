import { captureOutput, spawnTracked } from '@clore-batch/testing';
import { describe, expect, it } from 'vitest';
import { SECRETS_KEY, TOKENS } from './support/api-kit';

/** The API's real entry point (src/main.ts) with a bad TENANT_LIMITS: it exits before it starts anything. */
async function startApiProcess(tenantLimits: string): Promise<{ code: number | null; output: string }> {
  const env = {
    SECRETS_KEY,
    API_TOKENS: `alice:submit:${TOKENS.alice},root:admin:${TOKENS.root}`,
    TENANT_LIMITS: tenantLimits,
    // Nothing listens here: had the config passed, the process would fail differently.
    REDIS_URL: 'redis://127.0.0.1:1',
    PORT: '0',
  };
  const child = spawnTracked(
    'env',
    [...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, '--import', 'tsx', 'src/main.ts'],
    { cwd: new URL('..', import.meta.url).pathname },
  );
  const output = captureOutput(child);
  const code = await new Promise<number | null>((resolve) =>
    child.once('exit', (exitCode) => resolve(exitCode)),
  );
  return { code, output: output() };
}

describe('the API process with a bad TENANT_LIMITS', () => {
  it('refuses to start, naming the bad entry and field', async () => {
    const { code, output } = await startApiProcess(
      '{"alice":{"maxQueuedJobs":0},"*":{"dailySpendUsd":"ten"}}',
    );
    expect(code).toBe(1);
    expect(output).toContain('clore-batch api: invalid configuration, 2 problem(s):');
    expect(output).toContain('TENANT_LIMITS: entry "alice": maxQueuedJobs must be at least 1 (got 0)');
    expect(output).toContain('TENANT_LIMITS: entry "*": dailySpendUsd must be a number (got "ten")');
    expect(output).not.toContain(TOKENS.alice);
    expect(output).not.toContain('api listening');
  });

  it('refuses to start when an entry names no token of API_TOKENS', async () => {
    const { code, output } = await startApiProcess('{"alcie":{"maxQueuedJobs":5}}');
    expect(code).toBe(1);
    expect(output).toContain('TENANT_LIMITS: entry "alcie" is not a token name of API_TOKENS');
  });
});

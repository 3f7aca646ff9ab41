import { afterAll, test as base } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/start-sandbox';

/**
 * The e2e suites' `test` (call it at the top level of the file): `sandbox` is one in-process
 * sandbox per file (Redis, the simulator with real sshd hosts, the API and a worker as processes)
 * with the simulator's limits and provisioning scaled down (100 ms / 500 ms, 100-300 ms to come up)
 * and `appEnv` over the fast settings. Start it from a `test.beforeAll` (its start needs that
 * hook's longer timeout); it is stopped in an afterAll registered here, before the setup file's
 * leak check (hooks run in stack order; vitest tears fixtures down only after the hooks).
 */
export function sandboxTest(appEnv: Record<string, string> = {}) {
  let sandbox: Sandbox | undefined;
  afterAll(async () => {
    await sandbox?.stop();
    sandbox = undefined;
  }, 60_000);
  return base.extend('sandbox', { scope: 'file' }, async () => {
    sandbox = await startSandbox({
      port: 0,
      redisUrl: process.env.REDIS_URL,
      provisioningMs: [100, 300],
      simLimits: { generalMs: 100, createMs: 500 },
      appEnv: { LOG_LEVEL: 'warn', ORDER_POLL_INTERVAL_MS: '200', MARKETPLACE_REFRESH_MS: '1000', ...appEnv },
    });
    return sandbox;
  });
}

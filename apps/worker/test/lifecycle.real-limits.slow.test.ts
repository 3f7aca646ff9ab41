import { type RedisHandle, startRedis } from '@clore-batch/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FAST_SIM, type Kit, startKit } from './support/e2e-kit';

let redis: RedisHandle;
let kit: Kit | undefined;

beforeAll(async () => {
  redis = await startRedis({ private: true });
});
afterAll(async () => {
  await redis.stop();
});
afterEach(async () => {
  await kit?.close();
  kit = undefined;
});

describe('with the real Clore limits (1 request/s, 1 create/5 s) and production timings', () => {
  it('three jobs at once all succeed, creates are spaced, no code 5, every order released', async () => {
    kit = await startKit(redis.url, {
      sim: { ...FAST_SIM, limits: { generalMs: 1_000, createMs: 5_000 }, provisioningMs: [1_000, 3_000] },
      env: {
        CLORE_GENERAL_SPACING_MS: '1100',
        CLORE_CREATE_SPACING_MS: '5200',
        CLORE_TIMEOUT_MS: '30000',
        ORDER_POLL_INTERVAL_MS: '3000',
        MARKETPLACE_REFRESH_MS: '15000',
        PROVISION_TIMEOUT_SECONDS: '120',
      },
      settings: { logPollMs: 250, sshRetryMs: { initial: 500, max: 2_000 } },
    });
    const jobs = await Promise.all([1, 2, 3].map((i) => (kit as Kit).submit({ command: `echo real ${i}` })));
    const done = await Promise.all(jobs.map((job) => (kit as Kit).waitDone(job.id, 150_000)));
    expect(done.map((j) => j.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    await kit.noActiveOrders(30_000);
    const calls = (
      (await (await fetch(`${kit.sim.url}/_sim/calls`)).json()) as {
        calls: { endpoint: string; code: number | null; at: number }[];
      }
    ).calls;
    expect(calls.filter((c) => c.code === 5)).toEqual([]);
    const creates = calls.filter((c) => c.endpoint === 'create_order').map((c) => c.at);
    for (let i = 1; i < creates.length; i += 1) {
      expect((creates[i] as number) - (creates[i - 1] as number)).toBeGreaterThanOrEqual(5_000);
    }
    process.stdout.write(`REAL-LIMITS calls=${calls.length} creates=${creates.length}\n`);
  }, 200_000);
});

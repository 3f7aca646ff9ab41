import { type RedisHandle, startRedis, waitFor } from '@clore-batch/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Kit, startKit } from './support/e2e-kit';

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

// The kit polls every 200 ms; here the idle cadence is 1 s and the safety poll 5 s (docs/decisions/0055).
const FAST_MS = 200;
const IDLE_MS = 1_000;

describe('demand-driven polling in the job lifecycle', () => {
  it('while the command runs (budget watch only) the leader polls at the idle cadence, not the fast one', async () => {
    kit = await startKit(redis.url, {
      env: {
        ORDER_IDLE_POLL_INTERVAL_MS: String(IDLE_MS),
        ORDER_QUIET_POLL_INTERVAL_MS: '5000',
        // The idle cadence is capped at half the reaper's grace: give it room.
        REAPER_GRACE_SECONDS: '30',
      },
    });
    const k = kit;
    const myOrders = () => k.sim.sim.calls.list().filter((c) => c.endpoint === 'my_orders');
    const job = await k.submit({ command: 'echo started; sleep 5; echo end', budgetUsd: 5 });
    await waitFor(async () => (await k.store.readLog(job.id)).toString().includes('started'), {
      timeoutMs: 20_000,
    });
    const runningFrom = Date.now();
    const done = await k.waitDone(job.id, 30_000);
    expect(done.state).toBe('succeeded');
    expect((await k.store.readLog(job.id)).toString()).toBe('started\nend\n');
    await k.noActiveOrders();
    // A 3 s window inside the 5 s run: the fast cadence would poll ~15 times, the idle one ~3.
    const window = myOrders().filter((c) => c.at >= runningFrom && c.at < runningFrom + 3_000);
    expect(window.length).toBeLessThanOrEqual(Math.ceil(3_000 / IDLE_MS) + 1);
    expect(window.length).toBeGreaterThanOrEqual(2);
    // The budget was checked against the announced delay, and the job still succeeded.
    expect(done.attempts).toHaveLength(1);
    console.warn(
      `lifecycle.polling: ${window.length} my_orders in 3 s of a running job (fast cadence ${FAST_MS} ms would be ~${3_000 / FAST_MS}); ${myOrders().length} in the whole job`,
    );
  });
});

import { describe, expect } from 'vitest';
import { fleetTest } from '../../test/support/fleet-fixture';
import { runTwentyJobs } from '../../test/support/fleet-job';
import { PRODUCTION_SETTINGS } from '../../test/support/fleet-kit';

const test = fleetTest({ realLimits: true });

/**
 * The "with 20 jobs at once, the simulator's call log shows zero code-5 answers", at the real
 * limits (1 call/s, 1 create/5 s), the limiter's default spacing (1.1 s / 5.2 s) and the config's
 * default fleet timings (my_orders every 3 s, marketplace every 15 s), two worker processes.
 */
describe('fleet under load at the real Clore limits', () => {
  test('20 jobs at once: zero code-5 answers, every order released, one call per second at most', async ({
    kit,
  }) => {
    const { ended, elapsed } = await runTwentyJobs(kit);
    expect(new Set(ended.map((o) => o.id)).size).toBe(20);
    expect(kit.sim.orders().filter((o) => o.active)).toEqual([]);
    const calls = kit.calls();
    expect(calls.filter((c) => c.code === 5)).toEqual([]);
    const at = calls.map((c) => c.at);
    const minGap = Math.min(...at.slice(1).map((t, i) => t - at[i]!));
    expect(minGap).toBeGreaterThanOrEqual(1_000);
    const count = (endpoint: string) => calls.filter((c) => c.endpoint === endpoint).length;
    expect(count('my_orders')).toBeLessThanOrEqual(Math.ceil(elapsed / 1_000));
    expect(count('marketplace')).toBeLessThanOrEqual(
      Math.ceil(elapsed / PRODUCTION_SETTINGS.marketplaceRefreshMs) + 1,
    );
    console.warn(
      `fleet.load.slow: 20 jobs in ${elapsed} ms; ${calls.length} calls (${count('create_order')} create_order, ${count('my_orders')} my_orders, ${count('cancel_orders')} cancel_orders, ${count('marketplace')} marketplace), min gap ${Math.round(minGap)} ms, 0 code 5`,
    );
  }, 300_000);
});

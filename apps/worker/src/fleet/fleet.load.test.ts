import { describe, expect } from 'vitest';
import { fleetTest } from '../../test/support/fleet-fixture';
import { runTwentyJobs } from '../../test/support/fleet-job';
import { BASE_SETTINGS } from '../../test/support/fleet-kit';

const test = fleetTest();

describe('fleet under load', () => {
  test('20 jobs at once in two processes: every order released, no server rented by two jobs at once, zero code-5 answers', async ({
    kit,
  }) => {
    const { ended, elapsed, fleets } = await runTwentyJobs(kit);
    const ids = ended.map((o) => o.id);
    expect(new Set(ids).size).toBe(20);
    const simOrders = kit.sim.orders().filter((o) => ids.includes(o.id));
    // A server may be rented again once the previous job's order ended, never while it runs.
    for (const a of simOrders) {
      for (const b of simOrders) {
        if (a.id < b.id && a.serverId === b.serverId) {
          expect(b.createdAt).toBeGreaterThanOrEqual(a.endedAt!);
        }
      }
    }
    expect(simOrders.map((o) => o.active)).toEqual(Array(20).fill(false));
    expect(kit.sim.orders().filter((o) => o.active)).toEqual([]);
    const calls = kit.calls();
    expect(calls.filter((c) => c.code === 5)).toEqual([]);
    const count = (endpoint: string) => calls.filter((c) => c.endpoint === endpoint).length;
    // Offline servers look rentable in the marketplace: their create_order answers server-offline.
    expect(calls.filter((c) => c.endpoint === 'create_order' && c.code === 0)).toHaveLength(20);
    // 20 selections read the shared snapshot: only the periodic refresh calls Clore.
    expect(count('marketplace')).toBeLessThanOrEqual(
      Math.ceil(elapsed / BASE_SETTINGS.marketplaceRefreshMs) + 1,
    );
    expect(count('my_orders')).toBeLessThanOrEqual(Math.ceil(elapsed / BASE_SETTINGS.pollMinGapMs) + 1);
    // Creates are 300 ms apart, so releases rarely fall due together: at most one call per order.
    expect(count('cancel_orders')).toBeLessThanOrEqual(20);
    expect(count('cancel_order')).toBe(0);
    expect(await fleets[0]!.intents.list()).toEqual([]);
    console.warn(
      `fleet.load: 20 jobs in ${elapsed} ms; calls: ${calls.length} total, ${count('create_order')} create_order, ${count('my_orders')} my_orders, ${count('cancel_orders')} cancel_orders, ${count('marketplace')} marketplace, 0 code 5`,
    );
  }, 60_000);
});

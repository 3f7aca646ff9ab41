import { waitFor } from '@clore-batch/testing';
import { describe, expect } from 'vitest';
import { fleetTest } from '../../test/support/fleet-fixture';

const test = fleetTest();

describe('fleet marketplace view', () => {
  test('20 get() calls in two fleets, made before the first snapshot, are served by one marketplace call', async ({
    kit,
  }) => {
    const settings = { marketplaceRefreshMs: 10_000 };
    const fleets = [kit.fleet({ settings }), kit.fleet({ settings })];
    // Waiting starts before any leader exists: get() waits for the first snapshot.
    const gets = fleets.flatMap((f) => Array.from({ length: 10 }, () => f.marketplace.get()));
    await Promise.all(fleets.map((f) => f.start()));
    const snapshots = await Promise.all(gets);
    expect(new Set(snapshots.map((s) => s.at)).size).toBe(1);
    expect(snapshots[0]!.servers.length).toBe(kit.sim.sim.servers.size);
    expect(snapshots[0]!.usdRates).toBeDefined();
    expect(kit.calls('marketplace')).toHaveLength(1);
    // And 20 more, later, still from the same call.
    await Promise.all(fleets.flatMap((f) => Array.from({ length: 10 }, () => f.marketplace.get())));
    expect(kit.calls('marketplace')).toHaveLength(1);
  });

  test('requestRefresh brings a refresh forward, and a burst of requests is debounced into one call', async ({
    kit,
  }) => {
    const settings = { marketplaceRefreshMs: 10_000, marketplaceMinGapMs: 300 };
    const fleets = [kit.fleet({ settings }), kit.fleet({ settings })];
    await Promise.all(fleets.map((f) => f.start()));
    const first = await fleets[1]!.marketplace.get();
    const asked = Date.now();
    await Promise.all(fleets.flatMap((f) => Array.from({ length: 5 }, () => f.marketplace.requestRefresh())));
    const fresh = await waitFor(async () => {
      const s = await fleets[1]!.marketplace.get();
      return s.at > first.at ? s : undefined;
    });
    expect(fresh.at).toBeGreaterThan(first.at);
    expect(Date.now() - asked).toBeLessThan(2_000);
    expect(kit.calls('marketplace')).toHaveLength(2);
  });

  test('get() is abortable while no snapshot exists', async ({ kit }) => {
    const fleet = kit.fleet();
    const controller = new AbortController();
    const waiting = fleet.marketplace.get(controller.signal);
    controller.abort(new Error('give up'));
    await expect(waiting).rejects.toThrow('give up');
  });
});

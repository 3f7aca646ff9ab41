import { waitFor } from '@clore-batch/testing';
import { describe, expect } from 'vitest';
import { fleetTest } from '../../test/support/fleet-fixture';
import { rentDirectly } from '../../test/support/fleet-kit';

const test = fleetTest({ privateRedis: true });

describe('fleet across a Redis restart', () => {
  test('the leader keeps (or retakes) the lease, polls resume, and a release requested before the restart is sent after it', async ({
    kit,
  }) => {
    const id = await rentDirectly(kit.client(), kit.freshServer().id);
    const fleets = [kit.fleet(), kit.fleet()];
    await Promise.all(fleets.map((f) => f.start()));
    await waitFor(() => fleets.some((f) => f.isLeader()));
    const before = await fleets[0]!.orderBook.next(0);
    // Stop the leader's sender from running before the restart: the request only reaches Redis (AOF).
    kit.sim.setFaults({ endpoints: { cancel_orders: { http500: 1 } } });
    await fleets[1]!.releases.request(id, { jobId: 'job-r', reason: 'done' });
    await kit.redis.restart!();
    kit.sim.setFaults({});
    const after = await fleets[1]!.orderBook.next(before.version, AbortSignal.timeout(15_000));
    expect(after.version).toBeGreaterThan(before.version);
    await fleets[0]!.releases.waitEnded(id, AbortSignal.timeout(15_000));
    expect(kit.sim.orders().find((o) => o.id === id)?.active).toBe(false);
    await waitFor(() => fleets.filter((f) => f.isLeader()).length === 1, {
      message: 'exactly one leader again',
    });
    expect(kit.calls().filter((c) => c.code === 5)).toEqual([]);
  }, 40_000);
});

import { fleetKeys } from '@clore-batch/shared';
import { waitFor } from '@clore-batch/testing';
import { describe, expect } from 'vitest';
import { fleetTest } from '../../test/support/fleet-fixture';
import { BASE_SETTINGS } from '../../test/support/fleet-kit';

const test = fleetTest();

describe('fleet leader election', () => {
  test('three fleets: exactly one leader, and only it calls Clore', async ({ kit }) => {
    const fleets = [kit.fleet(), kit.fleet(), kit.fleet()];
    await Promise.all(fleets.map((f) => f.start()));
    await waitFor(() => fleets.some((f) => f.isLeader()), { message: 'a leader' });
    // Several renewal periods later there is still exactly one, and it is the lease holder.
    await fleets[0]!.orderBook.next(2);
    const leaders = fleets.filter((f) => f.isLeader());
    expect(leaders).toHaveLength(1);
    expect(await kit.db.get(fleetKeys(kit.prefix).leader)).toBe(leaders[0]!.id);
    const followers = fleets.filter((f) => !f.isLeader());
    expect(followers.flatMap((f) => Object.values(f.stats()).map((s) => s.rounds))).toEqual([
      0, 0, 0, 0, 0, 0,
    ]);
    expect(kit.calls().filter((c) => c.code === 5)).toEqual([]);
  });

  test('a leader that dies without releasing is replaced once its lease expires', async ({ kit }) => {
    const a = kit.fleet();
    await a.start();
    await waitFor(() => a.isLeader(), { message: 'a leads' });
    const b = kit.fleet();
    await b.start();
    expect(b.isLeader()).toBe(false);
    const before = (await b.orderBook.current())?.version ?? 0;
    const diedAt = Date.now();
    await a.stop({ releaseLease: false });
    await waitFor(() => b.isLeader(), { timeoutMs: 5_000, intervalMs: 5, message: 'b takes over' });
    const takeoverMs = Date.now() - diedAt;
    // At most one ttl (the lease expiring) plus one renewal period (b's next attempt).
    expect(takeoverMs).toBeLessThanOrEqual(BASE_SETTINGS.leaderTtlMs + BASE_SETTINGS.leaderTtlMs / 3 + 100);
    expect(takeoverMs).toBeGreaterThanOrEqual(BASE_SETTINGS.leaderTtlMs / 2);
    // The new leader carries on the version sequence (never backwards).
    const next = await b.orderBook.next(before);
    expect(next.version).toBeGreaterThan(before);
    console.warn(
      `fleet.leader: takeover after an unreleased lease took ${takeoverMs} ms (ttl ${BASE_SETTINGS.leaderTtlMs})`,
    );
  });

  test('a leader that stops cleanly releases the lease at once', async ({ kit }) => {
    const a = kit.fleet();
    await a.start();
    await waitFor(() => a.isLeader());
    const b = kit.fleet();
    await b.start();
    const stoppedAt = Date.now();
    await a.stop();
    expect(await kit.db.get(fleetKeys(kit.prefix).leader)).toBeNull();
    await waitFor(() => b.isLeader(), { intervalMs: 5, message: 'b takes over' });
    expect(Date.now() - stoppedAt).toBeLessThanOrEqual(BASE_SETTINGS.leaderTtlMs / 3 + 100);
  });

  test('a leader whose lease was taken from it steps down at its next renewal', async ({ kit }) => {
    const a = kit.fleet();
    await a.start();
    await waitFor(() => a.isLeader());
    await kit.db.set(fleetKeys(kit.prefix).leader, 'someone-else', 'PX', 60_000);
    await waitFor(() => !a.isLeader(), { timeoutMs: 2_000, message: 'a steps down' });
    const rounds = a.stats().orders.rounds;
    const version = (await a.orderBook.current())?.version ?? 0;
    // Asserting that nothing happens needs a window: two poll intervals in which a leader would poll.
    await new Promise((resolve) => setTimeout(resolve, BASE_SETTINGS.pollIntervalMs * 2));
    expect(a.stats().orders.rounds).toBe(rounds);
    expect((await a.orderBook.current())?.version ?? 0).toBe(version);
  });
});

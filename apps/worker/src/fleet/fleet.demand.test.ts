import { waitFor } from '@clore-batch/testing';
import { describe, expect } from 'vitest';
import { fleetTest } from '../../test/support/fleet-fixture';
import type { FleetKit } from '../../test/support/fleet-kit';
import type { Fleet } from './create-fleet';
import type { OrdersSnapshot } from './fleet-types';

const test = fleetTest();

// Scaled cadences: fast 400 ms, idle 1.6 s, quiet 6 s (a long grace so the idle cadence is not capped).
const FAST = 400;
const IDLE = 1_600;
const QUIET = 6_000;
const SETTINGS = {
  pollIntervalMs: FAST,
  idlePollIntervalMs: IDLE,
  quietPollIntervalMs: QUIET,
  reaperGraceMs: 60_000,
  pollMinGapMs: 100,
};

async function leaderOf(fleets: Fleet[]): Promise<Fleet> {
  return waitFor(() => fleets.find((f) => f.isLeader()), { message: 'a leader' });
}

const pollTimes = (kit: FleetKit) => kit.calls('my_orders').map((c) => c.at);

function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => t - times[i]!);
}

describe('demand-driven order polling (docs/decisions/0055)', () => {
  test('with nothing to watch the leader drops to the safety cadence; a background waiter brings the idle one', async ({
    kit,
  }) => {
    const fleet = kit.fleet({ settings: SETTINGS });
    await fleet.start();
    const first = await waitFor(() => fleet.orderBook.current(), { message: 'the first poll' });
    expect(first.nextPollInMs).toBe(QUIET);
    // A non-event needs a window: 2.5 s in which the fast cadence would have polled 6 times.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(kit.calls('my_orders')).toHaveLength(1);
    const asked = Date.now();
    const next = await fleet.orderBook.next(first.version, { urgency: 'background' });
    // The quiet delay is cut to the idle one: it was due 1.6 s after the first poll, already past.
    expect(Date.now() - asked).toBeLessThan(FAST + 500);
    expect(next.nextPollInMs).toBe(IDLE);
    expect(kit.calls().filter((c) => c.code === 5)).toEqual([]);
    console.warn(
      `fleet.demand: quiet: 1 my_orders in ${Date.now() - first.at} ms; background waiter served in ${Date.now() - asked} ms`,
    );
  });

  test('background waiters only: polls at the idle cadence; an urgent waiter in another process brings the fast one within one fast interval', async ({
    kit,
  }) => {
    const fleets = [kit.fleet({ settings: SETTINGS }), kit.fleet({ settings: SETTINGS })];
    await Promise.all(fleets.map((f) => f.start()));
    const leader = await leaderOf(fleets);
    const follower = fleets.find((f) => f !== leader)!;
    let version = (await follower.orderBook.next(0, { urgency: 'background' })).version;
    // Five background watch loops (as watch-attempt runs them) in both processes, for 4 rounds.
    const seen: OrdersSnapshot[] = [];
    const before = pollTimes(kit).length;
    for (let round = 0; round < 4; round += 1) {
      const got = await Promise.all(
        fleets.flatMap((f) =>
          Array.from({ length: 5 }, () => f.orderBook.next(version, { urgency: 'background' })),
        ),
      );
      version = Math.max(...got.map((s) => s.version));
      seen.push(got[0]!);
    }
    const idleGaps = gaps(pollTimes(kit).slice(before - 1));
    expect(idleGaps).toHaveLength(4);
    for (const gap of idleGaps) {
      // Rounds are timed from their start; the call itself waits for the limiter (150 ms spacing here).
      expect(gap).toBeGreaterThanOrEqual(IDLE - 300);
      expect(gap).toBeLessThan(IDLE + 1_000);
    }
    expect(seen.every((s) => s.nextPollInMs === IDLE)).toBe(true);

    // An urgent waiter on the follower: the next poll comes within one fast interval.
    const asked = Date.now();
    const urgent = await follower.orderBook.next(version, { urgency: 'urgent' });
    const servedIn = Date.now() - asked;
    expect(servedIn).toBeLessThan(FAST + 500);
    // While it keeps waiting urgently, the cadence stays fast.
    let v = urgent.version;
    const fastFrom = pollTimes(kit).length;
    for (let i = 0; i < 3; i += 1) {
      const s = await follower.orderBook.next(v, { urgency: 'urgent' });
      expect(s.nextPollInMs).toBe(FAST);
      v = s.version;
    }
    const fastGaps = gaps(pollTimes(kit).slice(fastFrom - 1));
    for (const gap of fastGaps) {
      expect(gap).toBeLessThan(FAST + 400);
    }
    expect(kit.calls().filter((c) => c.code === 5)).toEqual([]);
    console.warn(
      `fleet.demand: background gaps ${idleGaps.map(Math.round).join(', ')} ms; urgent served in ${servedIn} ms; then fast gaps ${fastGaps.map(Math.round).join(', ')} ms`,
    );
  });

  test('a release is confirmed within one fast interval, then the cadence drops back to the safety poll', async ({
    kit,
  }) => {
    const fleet = kit.fleet({ settings: SETTINGS });
    await fleet.start();
    await fleet.orderBook.next(0);
    const client = kit.client();
    const server = kit.freshServer().id;
    await client.createOrder({
      serverId: server,
      type: 'on-demand',
      currency: 'USD-Blockchain',
      image: 'ubuntu:22.04',
    });
    const order = (await client.findOrderByServer({ serverId: server }))!;
    const asked = Date.now();
    await fleet.releases.request(order.id, { reason: 'test' });
    const ended = await fleet.releases.waitEnded(order.id, AbortSignal.timeout(5_000));
    expect(ended?.id).toBe(order.id);
    // The cancel's send wakes the watcher; a still-pending cancel keeps the cadence fast.
    expect(Date.now() - asked).toBeLessThan(FAST + 600);
    expect(kit.sim.orders().find((o) => o.id === order.id)?.active).toBe(false);
    // Nothing left to watch: the snapshot after the confirmation announces the quiet cadence again.
    const after = await waitFor(
      async () => {
        const s = await fleet.orderBook.current();
        return s !== undefined && s.orders.length === 0 && s.nextPollInMs === QUIET ? s : undefined;
      },
      { message: 'back to quiet', timeoutMs: 8_000 },
    );
    expect(after.ended.some((o) => o.id === order.id)).toBe(true);
  });
});

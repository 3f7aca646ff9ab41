import { fleetKeys, METRICS } from '@clore-batch/shared';
import { waitFor } from '@clore-batch/testing';
import { describe, expect } from 'vitest';
import { fleetTest } from '../../test/support/fleet-fixture';
import { rentDirectly } from '../../test/support/fleet-kit';
import type { OrphanRecord } from './reaper';

const test = fleetTest();

const GRACE_MS = 1_000;

describe('fleet reaper', () => {
  test('cancels an orphan after the grace (never before), spares live attempts, never touches a foreign order', async ({
    kit,
  }) => {
    const client = kit.client();
    const live = new Set<string>(['job-live:1']);
    const fleet = kit.fleet({
      liveness: async (jobId, attempt) => live.has(`${jobId}:${attempt}`),
      settings: { reaperGraceMs: GRACE_MS, intentSlackMs: 500 },
    });
    const servers = [kit.freshServer(), kit.freshServer(), kit.freshServer(), kit.freshServer()].map(
      (s) => s.id,
    );
    const [orphanServer, liveServer, foreignServer, lostServer] = servers as [number, number, number, number];
    // Bound intents: one whose job is gone, one whose job is alive.
    await fleet.intents.record({ jobId: 'job-dead', attempt: 1, serverId: orphanServer, at: Date.now() });
    const orphan = await rentDirectly(client, orphanServer);
    await fleet.intents.bindOrder('job-dead', 1, orphanServer, orphan);
    await fleet.intents.record({ jobId: 'job-live', attempt: 1, serverId: liveServer, at: Date.now() });
    const alive = await rentDirectly(client, liveServer);
    await fleet.intents.bindOrder('job-live', 1, liveServer, alive);
    // The lost-create case: the intent was written, create_order's answer never came (no bind).
    await fleet.intents.record({ jobId: 'job-lost', attempt: 2, serverId: lostServer, at: Date.now() });
    const lost = await rentDirectly(client, lostServer);
    // Someone else using the same API key: no intent at all.
    const foreign = await rentDirectly(client, foreignServer);

    await fleet.start();
    await waitFor(() => !kit.simOrder(orphan).active && !kit.simOrder(lost).active, {
      timeoutMs: 10_000,
      message: 'both orphans cancelled',
    });
    const keys = fleetKeys(kit.prefix);
    const records = Object.values(await kit.db.hgetall(keys.orphans)).map(
      (r) => JSON.parse(r) as OrphanRecord,
    );
    for (const id of [orphan, lost]) {
      const record = records.find((r) => r.orderId === id)!;
      expect(record.reapedAt).toBeDefined();
      // Never before the grace: the order ended at least GRACE_MS after the attempt was first seen dead.
      expect(kit.simOrder(id).endedAt! - record.firstSeen).toBeGreaterThanOrEqual(GRACE_MS);
      expect(record.reapedAt! - record.firstSeen).toBeGreaterThan(GRACE_MS);
      expect(kit.simOrder(id).endReason).toBe('cancelled');
    }
    expect(records.find((r) => r.orderId === lost)).toMatchObject({ jobId: 'job-lost', attempt: 2 });
    // Two more polls later: the live and the foreign orders are untouched.
    const now = (await fleet.orderBook.current())!.version;
    await fleet.orderBook.next(now + 1);
    expect(kit.simOrder(alive).active).toBe(true);
    expect(kit.simOrder(foreign).active).toBe(true);
    const foreignRecords = await kit.db.hgetall(keys.foreignOrders);
    expect(Object.keys(foreignRecords)).toEqual([String(foreign)]);
    const reaped = await kit.telemetry.read(METRICS.orphansReaped);
    expect(reaped.reduce((sum, r) => sum + r.value, 0)).toBe(2);
    // The reaped orders' intents are pruned once their orders ended; the live one stays.
    await waitFor(async () => (await fleet.intents.list()).length === 1, { message: 'intents pruned' });
    expect((await fleet.intents.list()).map((i) => i.jobId)).toEqual(['job-live']);
    expect(kit.calls().filter((c) => c.code === 5)).toEqual([]);
  });

  test('liveness must be false continuously: a live answer restarts the grace', async ({ kit }) => {
    let alive = false;
    const fleet = kit.fleet({
      liveness: async () => alive,
      settings: { reaperGraceMs: GRACE_MS },
    });
    const server = kit.freshServer().id;
    await fleet.intents.record({ jobId: 'job-flaky', attempt: 1, serverId: server, at: Date.now() });
    const id = await rentDirectly(kit.client(), server);
    await fleet.intents.bindOrder('job-flaky', 1, server, id);
    await fleet.start();
    const keys = fleetKeys(kit.prefix);
    const first = await waitFor(async () => {
      const raw = await kit.db.hget(keys.orphans, String(id));
      return raw === null ? undefined : (JSON.parse(raw) as OrphanRecord);
    });
    alive = true;
    await waitFor(async () => (await kit.db.hget(keys.orphans, String(id))) === null, {
      message: 'suspicion dropped',
    });
    alive = false;
    await waitFor(() => !kit.simOrder(id).active, { timeoutMs: 10_000, message: 'reaped' });
    const record = JSON.parse((await kit.db.hget(keys.orphans, String(id)))!) as OrphanRecord;
    expect(record.firstSeen).toBeGreaterThan(first.firstSeen);
    expect(kit.simOrder(id).endedAt! - record.firstSeen).toBeGreaterThanOrEqual(GRACE_MS);
  });

  test('a liveness check that throws counts as live: nothing is cancelled', async ({ kit }) => {
    const fleet = kit.fleet({
      liveness: async () => {
        throw new Error('store unreachable');
      },
      settings: { reaperGraceMs: 100 },
    });
    const server = kit.freshServer().id;
    await fleet.intents.record({ jobId: 'job-unknown', attempt: 1, serverId: server, at: Date.now() });
    const id = await rentDirectly(kit.client(), server);
    await fleet.intents.bindOrder('job-unknown', 1, server, id);
    await fleet.start();
    const v = (await fleet.orderBook.next(0)).version;
    await fleet.orderBook.next(v + 3);
    expect(kit.simOrder(id).active).toBe(true);
    expect(kit.calls('cancel_orders')).toHaveLength(0);
  });

  test('a new leader carries on the grace its predecessor started', async ({ kit }) => {
    const settings = { reaperGraceMs: 1_500 };
    const a = kit.fleet({ liveness: async () => false, settings });
    const server = kit.freshServer().id;
    await a.intents.record({ jobId: 'job-gone', attempt: 1, serverId: server, at: Date.now() });
    const id = await rentDirectly(kit.client(), server);
    await a.intents.bindOrder('job-gone', 1, server, id);
    await a.start();
    const keys = fleetKeys(kit.prefix);
    const seenByA = await waitFor(async () => {
      const raw = await kit.db.hget(keys.orphans, String(id));
      return raw === null ? undefined : (JSON.parse(raw) as OrphanRecord);
    });
    await a.stop();
    const b = kit.fleet({ liveness: async () => false, settings });
    await b.start();
    await waitFor(() => !kit.simOrder(id).active, { timeoutMs: 10_000, message: 'reaped by b' });
    const record = JSON.parse((await kit.db.hget(keys.orphans, String(id)))!) as OrphanRecord;
    expect(record.firstSeen).toBe(seenByA.firstSeen);
    expect(record.reapedAt! - record.firstSeen).toBeGreaterThan(1_500);
    expect(b.isLeader()).toBe(true);
  });
});

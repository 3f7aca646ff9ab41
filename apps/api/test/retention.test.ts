import { fleetKeys, fleetRecordJson, silentLogger } from '@clore-batch/shared';
import { BOUND_ATTEMPT } from '@clore-batch/shared/store-fixture';
import type { Redis } from 'ioredis';
import { describe, expect } from 'vitest';
import { type RetentionSweep, startRetentionSweep } from '../src/retention/retention-sweep';
import { apiTest } from './support/api-fixture';
import { auth, type TestApi, validSpec } from './support/api-kit';

/**
 * The retention sweep's own rules (docs/decisions/0133), on jobs the API stored and the test finished
 * as a worker would: what it keeps past the retention (the current month's jobs, jobs the fleet
 * may still have an order of) and what does not block it (a malformed orphan naming no job).
 */
const test = apiTest({ TENANT_LIMITS: JSON.stringify({ alice: { monthlySpendUsd: 10 } }) });
const DAY = 86_400_000;
const RETENTION = 30 * DAY;

/** A sweep of `api` whose clock reads `at`. */
function sweepAt(api: TestApi, redis: Redis, at: () => number, retentionMs = RETENTION): RetentionSweep {
  return startRetentionSweep({
    store: api.store,
    redis,
    prefix: api.prefix,
    queue: api.queue,
    webhookQueue: api.webhookQueue,
    logger: silentLogger(),
    retentionMs,
    intervalMs: 3_600_000,
    webhookMaxAttempts: 5,
    now: at,
  });
}

/** Submit as alice through the API, then run it to `failed` with a $costUsd bill, its order ended. */
async function billedJob(api: TestApi, costUsd: number): Promise<string> {
  const res = await api.app.inject({
    method: 'POST',
    url: '/v1/jobs',
    headers: auth('alice'),
    payload: validSpec({ budgetUsd: 5 }),
  });
  expect(res.statusCode, res.body).toBe(201);
  const id = res.json().id as string;
  await api.store.transition(id, 'dispatch');
  await api.store.addAttempt(id, BOUND_ATTEMPT);
  await api.store.attemptDecided(id, 1, 'internal');
  await api.store.attemptEnded(id, 1, { spentUsd: costUsd });
  await api.store.transition(id, 'fail', { reason: 'internal', message: 'test' });
  return id;
}

describe('the retention sweep', () => {
  test("keeps the current month's jobs: the tenant's monthly cap still counts their bills", async ({
    api,
    server,
  }) => {
    const id = await billedJob(api, 4.5);
    await billedJob(api, 4.5);
    // Past a (short) retention but still in the month they were submitted in; then 31 days on,
    // always a later month.
    const sameMonth = sweepAt(api, server.redis, () => Date.now() + 5_000, 1_000);
    const sweep = sweepAt(api, server.redis, () => Date.now() + RETENTION + 2 * DAY);
    try {
      expect((await sameMonth.runOnce()).deleted).toEqual([]);
      const refused = await api.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        headers: auth('alice'),
        payload: validSpec({ budgetUsd: 2 }),
      });
      expect(refused.statusCode, refused.body).toBe(403);
      expect(refused.json().code).toBe('TENANT_MONTHLY_SPEND_CAP');
      expect((await sweep.runOnce()).deleted).toContain(id);
    } finally {
      await sweep.stop();
      await sameMonth.stop();
    }
  });

  test("keeps last month's jobs for the clock skew margin after the month turns: a reader whose clock is behind still counts them", async ({
    api,
    server,
  }) => {
    const id = await billedJob(api, 4.5);
    const now = new Date();
    // Redis time 3 minutes into the next month: an API process whose clock is up to CLOCK_SKEW_MS
    // (10 min) behind still reads the old month, and its monthly cap counts this job's bill.
    const nextMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
    const justTurned = sweepAt(api, server.redis, () => nextMonth + 3 * 60_000, 1_000);
    // A month later still: no reader counts it any more.
    const monthAfter = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 2, 1) + 11 * 60_000;
    const later = sweepAt(api, server.redis, () => monthAfter, 1_000);
    try {
      expect((await justTurned.runOnce()).deleted).toEqual([]);
      expect((await api.store.get(id)).costUsd).toBe(4.5);
      expect((await later.runOnce()).deleted).toContain(id);
    } finally {
      await later.stop();
      await justTurned.stop();
    }
  });

  test('keeps a job the fleet may still have an order of; a malformed orphan naming no job blocks nothing', async ({
    api,
    server,
  }) => {
    const held = await billedJob(api, 0.1);
    const intent = await billedJob(api, 0.1);
    const free = await billedJob(api, 0.1);
    const keys = fleetKeys(api.prefix);
    const t = Date.now();
    await server.redis.hset(
      keys.orphans,
      '501',
      fleetRecordJson('orphan', {
        orderId: 501,
        serverId: 1,
        jobId: held,
        attempt: 1,
        firstSeen: t,
        lastSeen: t,
      }),
      '502',
      'not json at all',
    );
    await server.redis.hset(keys.intents, `${intent}:1:9`, '{}');
    const sweep = sweepAt(api, server.redis, () => Date.now() + RETENTION + 40 * DAY);
    try {
      const { deleted } = await sweep.runOnce();
      expect(deleted).toEqual([free]);
      expect((await api.store.get(held)).id).toBe(held);
      expect((await api.store.get(intent)).id).toBe(intent);
    } finally {
      await sweep.stop();
    }
  });
});

import { createRedis, redisKeys } from '@clore-batch/shared';
import { trackRedis, waitFor } from '@clore-batch/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type SentinelStack, startSentinelStack } from './support/sentinel-stack';

/**
 * Redis Sentinel failover under load (docs/decisions/0145): the API and two workers reach Redis only
 * through the sentinels. The master is SIGKILLed while jobs run and the sentinels promote the replica.
 */
const JOBS = 4;
const LINES = 30;
const expectedLog = Array.from({ length: LINES }, (_, i) => `line ${i + 1}\n`).join('');

let stack: SentinelStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const ended = (state: string) => ['succeeded', 'failed', 'cancelled'].includes(state);

/** A plain client of one server of the group (not through the sentinels). */
const serverClient = (port: number) =>
  trackRedis(createRedis({ REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_SENTINEL_TLS: false }));

describe('Redis Sentinel failover', () => {
  it('the master SIGKILLed mid-run: every job succeeds with its whole log, no order leaks or doubles, no code 5', async () => {
    stack = await startSentinelStack();
    const s = stack;
    const since = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < JOBS; i += 1) {
      ids.push(
        await s.submit(`for i in $(seq 1 ${LINES}); do echo "line $i"; sleep 0.2; done`, `failover-${i}`),
      );
    }
    // Mid-run: one job's command is printing and every job has an order.
    await waitFor(
      async () => {
        const jobs = await Promise.all(ids.map(s.getJob));
        return (
          jobs.some((j) => j.state === 'running') && jobs.every((j) => j.attempts.some((a) => a.orderId))
        );
      },
      { timeoutMs: 30_000, intervalMs: 100, message: 'a job running and every job with an order' },
    );
    const oldMaster = await s.group.masterPort();
    const killedAt = Date.now();
    await s.group.servers[0]?.kill();
    const newMaster = await s.group.waitForFailover(oldMaster);
    const failoverMs = Date.now() - killedAt;

    const done = await Promise.all(
      ids.map((id) =>
        waitFor(
          async () => {
            const job = await s.getJob(id);
            return ended(job.state) ? job : undefined;
          },
          { timeoutMs: 60_000, intervalMs: 200, message: `job ${id} to end` },
        ),
      ),
    );
    for (const job of done) {
      expect(job, JSON.stringify(job)).toMatchObject({ state: 'succeeded', exitCode: 0 });
      expect(await (await s.call(`/v1/jobs/${job.id}/logs`)).text()).toBe(expectedLog);
    }
    // Every submitted job is still listed: none lost with the old master.
    const listed = (await (await s.call('/v1/jobs?limit=100')).json()) as { jobs: { id: string }[] };
    expect(listed.jobs.map((j) => j.id).sort()).toEqual([...ids].sort());
    // No order left billing, and every order made is the order of exactly one attempt.
    await waitFor(async () => (await s.simOrders()).every((o) => !o.active), {
      timeoutMs: 20_000,
      message: 'no active order at the simulator',
    });
    const orders = (await s.simOrders()).filter((o) => o.createdAt >= since);
    const attemptOrders = done
      .flatMap((j) => j.attempts.map((a) => a.orderId))
      .filter((o) => o !== undefined);
    expect(new Set(attemptOrders).size).toBe(attemptOrders.length);
    expect(orders.map((o) => o.id).sort((a, b) => a - b)).toEqual([...attemptOrders].sort((a, b) => a - b));
    const calls = await s.simCalls();
    const refusals = calls.filter((c) => c.code === 5);
    expect(
      refusals,
      `killed at ${killedAt}, failover ${failoverMs} ms; ${JSON.stringify(calls.map((c) => [c.at - killedAt, c.endpoint, c.code]))}`,
    ).toHaveLength(0);
    // The new master is the one the API and the workers now write to.
    const probe = serverClient(newMaster);
    expect(await probe.exists(redisKeys(s.prefix).store.job(ids[0] as string))).toBe(1);
    await probe.quit();
    console.warn(
      `sentinel failover: promoted in ${failoverMs} ms; ${JOBS} jobs, ${attemptOrders.length} attempts, ${calls.length} Clore calls`,
    );
  }, 120_000);

  it('lost writes: a job submitted and rented while the replica was frozen is gone after the failover, and its order is cancelled, not left billing', async () => {
    stack = await startSentinelStack(1);
    const s = stack;
    const replica = s.group.servers[1];
    if (replica === undefined) {
      throw new Error('the group has no replica');
    }
    // The replica is frozen (a stalled host) and the master drops its replication link: everything
    // from here on is acknowledged by the master alone and never reaches the replica.
    replica.signal('SIGSTOP');
    let frozen = true;
    const master = serverClient(s.group.servers[0]?.port as number);
    await master.call('CLIENT', 'KILL', 'TYPE', 'replica');
    await master.quit();
    try {
      const id = await s.submit('echo started; sleep 60', 'lost-write');
      const running = await waitFor(
        async () => {
          const job = await s.getJob(id);
          return job.state === 'running' ? job : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 100, message: 'the job running on its order' },
      );
      const orderId = running.attempts[0]?.orderId;
      expect(orderId).toBeDefined();
      const oldMaster = await s.group.masterPort();
      await s.group.servers[0]?.kill();
      replica.signal('SIGCONT');
      frozen = false;
      const newMaster = await s.group.waitForFailover(oldMaster);
      expect(newMaster).toBe(replica.port);
      // The write really was lost: the promoted replica never had the job, its attempt or its intent.
      const probe = serverClient(newMaster);
      expect(await probe.exists(redisKeys(s.prefix).store.job(id))).toBe(0);
      await probe.quit();
      // The worker running it finds the record gone and cancels the order it holds (decision 0121).
      await waitFor(async () => (await s.simOrders()).find((o) => o.id === orderId)?.active === false, {
        timeoutMs: 30_000,
        intervalMs: 200,
        message: `order ${orderId} of the lost job to end`,
      });
      expect((await s.simOrders()).filter((o) => o.active)).toEqual([]);
      expect((await s.call(`/v1/jobs/${id}`)).status).toBe(404);
    } finally {
      if (frozen) {
        replica.signal('SIGCONT');
      }
    }
  }, 120_000);
});

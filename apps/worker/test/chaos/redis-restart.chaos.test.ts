/**
 * Restart Redis (AOF on, fsync always) mid-run, twice: once while jobs are provisioning, once while
 * they run. The worker is a separate OS process. Afterwards every job succeeded on one attempt with
 * its complete log, and no order is left active or doubled.
 */
import { describe, expect } from 'vitest';
import { chaosTest } from './chaos-fixture';
import { checkInvariants, lines, printLines, report, waitForPoint } from './chaos-kit';

const test = chaosTest({ appendOnly: true });

describe('Redis restarts mid-run', () => {
  test('restarted while jobs provision and again while they run: no job lost, no order leaked', async ({
    chaos,
    redis,
  }) => {
    const started = Date.now();
    if (redis.restart === undefined) {
      throw new Error('startRedis gave no restart(): a private redis-server is needed');
    }
    const k = await chaos.start({ noWorker: true, sim: { provisioningMs: [800, 1_500] } });
    const worker = chaos.worker();
    const since = Date.now();
    const jobs = [];
    for (let i = 0; i < 4; i += 1) {
      jobs.push(await k.submit({ command: printLines(60, '0.05') }));
    }
    await waitForPoint(k, jobs[0]?.id as string, 'an order placed', (j) => j.attempts.length > 0, worker);
    await redis.restart();
    for (const job of jobs) {
      await waitForPoint(
        k,
        job.id,
        'running with output',
        async (j) => j.state === 'running' && (await k.store.readLog(j.id)).length > 0,
        worker,
        60_000,
      );
    }
    await redis.restart();
    const invariants = await checkInvariants(
      k,
      jobs.map((j) => j.id),
      since,
      90_000,
    );
    for (const job of jobs) {
      const done = await k.store.get(job.id);
      expect(done.state, `${done.message}\n${worker.output()}`).toBe('succeeded');
      expect(done.attempts).toHaveLength(1);
      expect((await k.store.readLog(job.id)).toString()).toBe(lines(60));
    }
    expect(invariants.leakedOrders).toBe(0);
    report('redis restart', {
      ...invariants,
      restarts: 2,
      seconds: Math.round((Date.now() - started) / 1000),
    });
  }, 300_000);
});

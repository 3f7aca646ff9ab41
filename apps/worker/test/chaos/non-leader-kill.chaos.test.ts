/**
 * SIGKILL a worker that is NOT the fleet leader, 5 times, while the leader lives on: leader A (one
 * job slot, held by a long job) keeps the order watcher, the cancels and the reaper; the victim runs
 * the other job and is killed mid-run; its successor resumes the job. Same invariants as the other
 * kill cases, and the leader's own long job finishes whole.
 */
import { waitFor } from '@clore-batch/testing';
import { describe, expect } from 'vitest';
import { chaosTest } from './chaos-fixture';
import { checkInvariants, lines, printLines, report, waitForPoint } from './chaos-kit';

const test = chaosTest();

const KILLS = 5;

describe('SIGKILL a non-leader worker while the leader lives', () => {
  test(`${KILLS} kills of the worker running the job, the leader untouched: nothing lost or leaked`, async ({
    chaos,
  }) => {
    const started = Date.now();
    const k = await chaos.start({ noWorker: true, env: { LOG_LEVEL: 'info' } });
    const since = Date.now();
    const leader = chaos.worker({ WORKER_CONCURRENCY: '1' });
    await waitFor(() => leader.output().includes('became the fleet leader'), {
      timeoutMs: 30_000,
      message: 'the first worker to lead the fleet',
    });
    // The leader's only job slot is busy for the whole case.
    const long = await k.submit({ command: printLines(400, '0.1') });
    await waitForPoint(k, long.id, 'running', (j) => j.state === 'running', leader);
    let victim = chaos.worker();
    const ids = [long.id];
    for (let rep = 1; rep <= KILLS; rep += 1) {
      const job = await k.submit({ command: printLines(40, '0.04') });
      ids.push(job.id);
      await waitForPoint(
        k,
        job.id,
        'running with output',
        async (j) => j.state === 'running' && (await k.store.readLog(j.id)).toString().includes('line 5\n'),
        victim,
      );
      expect(victim.output()).toContain(job.id);
      expect(victim.output()).not.toContain('became the fleet leader');
      await victim.kill();
      victim = chaos.worker();
      const done = await k.waitFor(job.id, ['succeeded', 'failed', 'cancelled'], 60_000);
      expect(done.state, done.message).toBe('succeeded');
      expect(done.attempts).toHaveLength(1);
      expect((await k.store.readLog(job.id)).toString()).toBe(lines(40));
    }
    expect(leader.output()).not.toContain('no longer the fleet leader');
    const invariants = await checkInvariants(k, ids, since, 120_000, victim);
    expect((await k.store.get(long.id)).state).toBe('succeeded');
    expect((await k.store.readLog(long.id)).toString()).toBe(lines(400));
    expect(invariants.leakedOrders).toBe(0);
    report('non-leader worker killed while running', {
      kills: KILLS,
      jobs: ids.length,
      succeeded: invariants.succeeded,
      attempts: invariants.attempts,
      orders: invariants.orders,
      leaked: invariants.leakedOrders,
      seconds: Math.round((Date.now() - started) / 1000),
    });
  }, 300_000);
});

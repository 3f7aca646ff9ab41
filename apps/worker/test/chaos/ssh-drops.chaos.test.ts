/**
 * SSH drops: every connection of each running job's order is cut (its sshd's session processes
 * killed, as a network failure would) three times while the command prints; and one order's sshd
 * is stopped for good mid-run. The first kind must lose no byte and need no new attempt; the second
 * must end the attempt (ssh_error), run the job again on another server and leak nothing.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { waitFor } from '@clore-batch/testing';
import { describe, expect } from 'vitest';
import type { Kit } from '../support/e2e-kit';
import { chaosTest } from './chaos-fixture';
import { checkInvariants, lines, printLines, report, waitForPoint } from './chaos-kit';

const test = chaosTest();

const run = promisify(execFile);

/** Kill the session processes under an order's sshd (its connections drop; the sshd stays). */
async function dropConnections(k: Kit, orderId: number): Promise<number> {
  const host = k.sim.sim.orders.get(orderId)?.host as unknown as { sshd?: { pid?: number } } | undefined;
  const pid = host?.sshd?.pid;
  if (pid === undefined) {
    return 0;
  }
  const { stdout } = await run('pgrep', ['-P', String(pid)]).catch(() => ({ stdout: '' }));
  const children = stdout.split('\n').filter(Boolean).map(Number);
  for (const child of children) {
    try {
      process.kill(child, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  return children.length;
}

const logOf = async (k: Kit, id: string) => (await k.store.readLog(id)).toString();

describe('SSH drops', () => {
  test('connections cut 3 times per job while 4 jobs print: no byte lost, no new attempt', async ({
    chaos,
  }) => {
    const started = Date.now();
    const k = await chaos.start();
    const since = Date.now();
    const jobs = [];
    for (let i = 0; i < 4; i += 1) {
      jobs.push(await k.submit({ command: printLines(150, '0.02') }));
    }
    let drops = 0;
    for (const job of jobs) {
      const running = await waitForPoint(k, job.id, 'running', (j) => j.state === 'running');
      const orderId = running.attempts[0]?.orderId as number;
      for (const at of [10, 50, 90]) {
        await waitFor(async () => (await logOf(k, job.id)).includes(`line ${at}\n`), { timeoutMs: 30_000 });
        // The worker may be between two connections: cut the next one it makes.
        await waitFor(async () => (await dropConnections(k, orderId)) > 0, {
          timeoutMs: 10_000,
          intervalMs: 20,
          message: `an SSH connection to order ${orderId} to cut`,
        });
        drops += 1;
      }
    }
    const invariants = await checkInvariants(
      k,
      jobs.map((j) => j.id),
      since,
    );
    for (const job of jobs) {
      const done = await k.store.get(job.id);
      expect(done.state, done.message).toBe('succeeded');
      expect(done.attempts).toHaveLength(1);
      expect(await logOf(k, job.id)).toBe(lines(150));
    }
    expect(drops).toBe(12);
    report('ssh connection drops', {
      ...invariants,
      drops,
      seconds: Math.round((Date.now() - started) / 1000),
    });
  }, 180_000);

  test("an order's sshd stopped for good mid-run: the job runs again elsewhere, nothing leaks", async ({
    chaos,
  }) => {
    const started = Date.now();
    const k = await chaos.start({ settings: { reconnectWindowMs: 3_000 } });
    const since = Date.now();
    const job = await k.submit({ command: printLines(40, '0.05') });
    const running = await waitForPoint(k, job.id, 'running', (j) => j.state === 'running');
    await waitFor(async () => (await logOf(k, job.id)).includes('line 5\n'), { timeoutMs: 30_000 });
    k.sim.stopSshd(running.attempts[0]?.orderId as number);
    const invariants = await checkInvariants(k, [job.id], since);
    const done = await k.store.get(job.id);
    expect(done.state, done.message).toBe('succeeded');
    expect(done.attempts.length).toBeGreaterThanOrEqual(2);
    expect(done.attempts[0]?.endReason).toBe('ssh_error');
    // The output up to the cut is kept; the new attempt printed the whole sequence after it.
    expect((await logOf(k, job.id)).endsWith(lines(40))).toBe(true);
    report('sshd stopped for good', { ...invariants, seconds: Math.round((Date.now() - started) / 1000) });
  }, 180_000);
});

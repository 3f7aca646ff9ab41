/**
 * Helpers of the chaos suite: worker OS processes to SIGKILL, and the invariants checked after
 * every case (docs/benchmarks.md "Chaos suite").
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isTerminal, type JobRecord } from '@clore-batch/shared';
import { captureOutput, spawnTracked, stopChild, waitFor } from '@clore-batch/testing';
import { expect } from 'vitest';
import type { Kit, SimOrder } from '../e2e-kit';

const WORKER_DIR = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

/**
 * The e2e kit's scaled timings, for a worker process, except `orderLookupMs`: production looks for a
 * lost create's order for max(10 × poll, 5 s) = 30 s, twice the 15 s leader lease; the kit's 3 s is
 * only 1.5 × its 2 s lease, and on this loaded machine a restarted worker once missed its order in
 * 3 s and rented a second one for the same attempt (the stray was reaped; docs/benchmarks.md "Chaos
 * suite"). 6 s keeps production's margin over a leader handover plus a process start.
 */
export const CHAOS_OVERRIDES = {
  settings: {
    sshRetryMs: { initial: 100, max: 500 },
    logPollMs: 50,
    reconnectWindowMs: 20_000,
    orderLookupMs: 6_000,
    releaseConfirmMs: 3_000,
    cancelPollMs: 250,
  },
  fleetSettings: { leaderTtlMs: 2_000, cancelConfirmMs: 1_000, cancelRetryBaseMs: 200 },
};

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<void>;
  /** SIGKILL the process group and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (a clean stop) and wait. */
  stop(): Promise<void>;
}

export function spawnWorker(kit: Kit, extraEnv: Record<string, string> = {}): WorkerProcess {
  const env = Object.entries({ ...kit.env, ...extraEnv }).map(([k, v]) => `${k}=${v}`);
  const child = spawnTracked(
    'env',
    [...env, process.execPath, '--import', 'tsx', ENTRY, JSON.stringify(CHAOS_OVERRIDES)],
    { cwd: WORKER_DIR },
  );
  const output = captureOutput(child, 64_000);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
    } else {
      child.once('exit', () => resolve());
    }
  });
  return {
    child,
    output,
    exited,
    async kill() {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // already gone
      }
      await exited;
    },
    stop: () => stopChild(child, 10_000),
  };
}

/** Poll the job until `test` holds (fast: lifecycle points last a few hundred ms). */
export async function waitForPoint(
  kit: Kit,
  id: string,
  what: string,
  test: (job: JobRecord) => boolean | Promise<boolean>,
  worker?: WorkerProcess,
  timeoutMs = 30_000,
): Promise<JobRecord> {
  try {
    return await waitFor(
      async () => {
        const job = await kit.store.get(id);
        return (await test(job)) ? job : undefined;
      },
      { timeoutMs, intervalMs: 15, message: `job ${id} to reach ${what}` },
    );
  } catch (error) {
    const job = await kit.store.get(id);
    throw new Error(
      `${(error as Error).message}; job is ${job.state}, attempts ${JSON.stringify(job.attempts)}\n${worker?.output() ?? ''}`,
    );
  }
}

export interface InvariantReport {
  jobs: number;
  succeeded: number;
  states: Record<string, number>;
  attempts: number;
  orders: number;
  leakedOrders: number;
}

/**
 * After a case: every job terminal; zero active orders once the reaper's grace has passed (every
 * job is terminal, so no order belongs to a live job); every order made since `sinceMs` is the
 * order of exactly one attempt, and no attempt has two.
 */
export async function checkInvariants(
  kit: Kit,
  ids: readonly string[],
  sinceMs: number,
  timeoutMs = 60_000,
  worker?: WorkerProcess,
): Promise<InvariantReport> {
  const jobs = await Promise.all(
    ids.map((id) =>
      kit
        .waitFor(id, (j) => isTerminal(j.state), timeoutMs)
        .catch(async (error: Error) => {
          const job = await kit.store.get(id);
          const orders = await kit.orders();
          throw new Error(
            `${error.message}: job ${job.state}, attempts ${JSON.stringify(job.attempts)}, events ${JSON.stringify(job.events.slice(-6))}, sim orders ${JSON.stringify(orders)}\n${worker?.output() ?? ''}`,
          );
        }),
    ),
  );
  await kit.noActiveOrders(20_000);
  const orders: SimOrder[] = (await kit.orders()).filter(
    (o) => (o as SimOrder & { createdAt: number }).createdAt >= sinceMs,
  );
  const attemptOrders = jobs.flatMap((j) => j.attempts.map((a) => a.orderId)).filter((o) => o !== undefined);
  // Never two orders for one attempt: every order made is bound to exactly one attempt.
  const why = `orders ${JSON.stringify(orders)}; attempts ${JSON.stringify(jobs.map((j) => j.attempts))}; events ${JSON.stringify(jobs.map((j) => j.events.filter((e) => e.type === 'info').map((e) => e.message)))}\n${worker?.output().slice(-20_000) ?? ''}`;
  expect(new Set(attemptOrders).size, why).toBe(attemptOrders.length);
  expect(
    orders.map((o) => o.id).sort((a, b) => a - b),
    why,
  ).toEqual([...attemptOrders].sort((a, b) => a - b));
  const states: Record<string, number> = {};
  for (const job of jobs) {
    states[job.state] = (states[job.state] ?? 0) + 1;
  }
  return {
    jobs: jobs.length,
    succeeded: jobs.filter((j) => j.state === 'succeeded').length,
    states,
    attempts: jobs.reduce((n, j) => n + j.attempts.length, 0),
    orders: orders.length,
    leakedOrders: (await kit.activeOrders()).length,
  };
}

/** `line 1\n` … `line n\n`: the known sequence a chaos command prints. */
export const lines = (n: number): string => Array.from({ length: n }, (_, i) => `line ${i + 1}\n`).join('');
export const printLines = (n: number, pause: string): string =>
  `for i in $(seq 1 ${n}); do echo "line $i"; sleep ${pause}; done`;

export function report(name: string, data: unknown): void {
  process.stdout.write(`CHAOS ${name} ${JSON.stringify(data)}\n`);
}

/**
 * SIGKILL a worker process at each point of the lifecycle, 5 times each, then start a fresh one;
 * after each kill: the job succeeds on its one attempt, zero active orders remain, the attempt had
 * exactly one order, and the log (and outputs) are complete. The killed worker's successor is the
 * next kill's victim, so each point costs 6 worker processes.
 */
import { randomUUID } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FaultSettings, SimOptions } from '@clore-batch/clore-sim';
import type { JobRecord, JobSpecInput } from '@clore-batch/shared';
import { waitFor } from '@clore-batch/testing';
import { afterEach, describe, expect } from 'vitest';
import type { Kit } from '../support/e2e-kit';
import { chaosTest } from './chaos-fixture';
import { checkInvariants, lines, printLines, report, waitForPoint } from './chaos-kit';

const test = chaosTest();

const KILLS = 5;
const OUTPUT_BYTES = 64 * 1024 * 1024;

const dirs: string[] = [];

afterEach(async () => {
  for (const dir of dirs.splice(0)) {
    await rm(dir, { recursive: true, force: true });
  }
});

async function callsSince(k: Kit, since: number, endpoint: string): Promise<number> {
  const response = await fetch(`${k.sim.url}/_sim/calls?since=${since}&endpoint=${endpoint}`);
  return ((await response.json()) as { calls: unknown[] }).calls.length;
}

async function setFaults(k: Kit, faults: FaultSettings): Promise<void> {
  const response = await fetch(`${k.sim.url}/_sim/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  expect(response.status).toBeLessThan(300);
}

interface Point {
  name: string;
  sim?: SimOptions;
  spec(rep: number): Partial<JobSpecInput>;
  /** Before the submit (e.g. faults that hold the job at the point). */
  prepare?(k: Kit): Promise<void>;
  /** The job (and the world) is at the point. */
  reached(k: Kit, job: JobRecord, since: number): Promise<boolean> | boolean;
  /** After the kill, before the next worker starts. */
  release?(k: Kit): Promise<void>;
  /** What the job's log must be. */
  log: string;
  check?(k: Kit, job: JobRecord): Promise<void>;
}

const RUN = printLines(40, '0.04');
const rented: number[] = [];

const POINTS: Point[] = [
  {
    name: 'before create_order',
    spec: () => ({ command: printLines(5, '0.01') }),
    async prepare(k) {
      // No free server: the job waits in provisioning, before any create_order.
      for (const server of k.sim.sim.servers.values()) {
        if (!server.rentedExternally) {
          k.sim.rentServer(server.id, true);
          rented.push(server.id);
        }
      }
      const at = Date.now();
      await waitFor(async () => (await callsSince(k, at, 'marketplace')) > 0, {
        timeoutMs: 10_000,
        message: 'the leader to refresh the marketplace',
      });
    },
    reached: async (k, job, since) =>
      job.state === 'provisioning' && (await callsSince(k, since, 'create_order')) === 0,
    async release(k) {
      for (const id of rented.splice(0)) {
        k.sim.rentServer(id, false);
      }
    },
    log: lines(5),
  },
  {
    name: 'between create_order and the order being found',
    spec: () => ({ command: printLines(5, '0.01') }),
    // The order is made, its answer hangs until the client's 2 s timeout.
    prepare: (k) =>
      setFaults(k, { endpoints: { create_order: { lostResponse: 1 } }, lostResponseMode: 'hang' }),
    reached: async (k, job) => job.attempts.length === 0 && (await k.activeOrders()).length === 1,
    release: (k) => setFaults(k, {}),
    log: lines(5),
  },
  {
    name: 'provisioning (order placed, server not up)',
    sim: { provisioningMs: [1_500, 2_500] },
    spec: () => ({ command: printLines(5, '0.01') }),
    reached: (_k, job) => job.attempts[0]?.orderId !== undefined && job.attempts[0].readyAt === undefined,
    log: lines(5),
  },
  {
    name: 'running',
    spec: () => ({ command: RUN }),
    reached: async (k, job) =>
      job.state === 'running' && (await k.store.readLog(job.id)).toString().includes('line 5\n'),
    log: lines(40),
  },
  {
    name: 'collecting',
    spec: () => {
      const dir = `/tmp/cb-chaos-${randomUUID()}`;
      dirs.push(dir);
      return {
        command: `mkdir -p ${dir} && head -c ${OUTPUT_BYTES} /dev/zero > ${dir}/out.bin && ${printLines(5, '0.01')}`,
        outputs: [`${dir}/out.bin`],
      };
    },
    reached: (_k, job) => job.state === 'collecting',
    log: lines(5),
    async check(k, job) {
      expect(job.outputs).toHaveLength(1);
      expect(job.outputs[0]?.size).toBe(OUTPUT_BYTES);
      const local = join(k.store.jobDir(job.id), 'outputs', job.outputs[0]?.path ?? '');
      expect((await stat(local)).size).toBe(OUTPUT_BYTES);
    },
  },
  {
    name: 'releasing (attempt ended, cancel not confirmed)',
    spec: () => ({ command: printLines(5, '0.01') }),
    // Every cancel fails while the victim lives: the job is held at the release.
    prepare: (k) =>
      setFaults(k, { endpoints: { cancel_orders: { http500: 1 }, cancel_order: { http500: 1 } } }),
    reached: (_k, job) => job.attempts[0]?.endReason !== undefined && job.attempts[0].endedAt === undefined,
    release: (k) => setFaults(k, {}),
    log: lines(5),
  },
];

describe('SIGKILL a worker process at each lifecycle point', () => {
  for (const point of POINTS) {
    test(`${point.name}: ${KILLS} kills, zero leaked orders, zero lost jobs`, async ({ chaos }) => {
      const started = Date.now();
      const k = await chaos.start({
        noWorker: true,
        ...(point.sim === undefined ? {} : { sim: point.sim }),
      });
      let victim = chaos.worker();
      const results = [];
      for (let rep = 1; rep <= KILLS; rep += 1) {
        const since = Date.now();
        await point.prepare?.(k);
        const job = await k.submit(point.spec(rep));
        await waitForPoint(k, job.id, point.name, (j) => point.reached(k, j, since), victim, 60_000);
        await victim.kill();
        await point.release?.(k);
        victim = chaos.worker();
        const invariants = await checkInvariants(k, [job.id], since, 90_000, victim);
        const done = await k.store.get(job.id);
        expect(done.state, `${done.message}\n${victim.output()}`).toBe('succeeded');
        expect(done.attempts).toHaveLength(1);
        expect((await k.store.readLog(job.id)).toString()).toBe(point.log);
        await point.check?.(k, done);
        expect(invariants.leakedOrders).toBe(0);
        results.push(invariants);
      }
      report(point.name, {
        kills: KILLS,
        succeeded: results.reduce((n, r) => n + r.succeeded, 0),
        orders: results.reduce((n, r) => n + r.orders, 0),
        attempts: results.reduce((n, r) => n + r.attempts, 0),
        leaked: results.reduce((n, r) => n + r.leakedOrders, 0),
        seconds: Math.round((Date.now() - started) / 1000),
      });
    }, 600_000);
  }
});

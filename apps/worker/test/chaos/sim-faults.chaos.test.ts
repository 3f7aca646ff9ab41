/**
 * Simulator faults on 10 % of the calls (HTTP 500/502, reset, non-JSON, hang on every endpoint;
 * on create_order also code 1 and a lost answer after the order was made) over a batch of jobs.
 * Afterwards every job is terminal, none lost, no order leaked, no attempt with two orders, and
 * every succeeded job's log is complete.
 */
import { describe, expect } from 'vitest';
import { chaosTest } from './chaos-fixture';
import { checkInvariants, lines, printLines, report } from './chaos-kit';

const test = chaosTest();

const JOBS = 10;

describe('simulator faults at 10 %', () => {
  for (const seed of [17, 18, 19, 20]) {
    test(`seed ${seed}: ${JOBS} jobs through 10 % faulty calls: all terminal, no leak, no double order, logs complete`, async ({
      chaos,
    }) => {
      const started = Date.now();
      const k = await chaos.start({
        sim: {
          seed,
          faults: {
            endpoints: {
              '*': { http500: 0.02, http502: 0.02, reset: 0.02, nonJson: 0.02, hang: 0.02 },
              create_order: { http500: 0.02, reset: 0.02, nonJson: 0.02, code1: 0.02, lostResponse: 0.02 },
            },
          },
        },
      });
      const since = Date.now();
      const jobs = [];
      for (let i = 0; i < JOBS; i += 1) {
        jobs.push(await k.submit({ command: printLines(10, '0.02') }));
      }
      const invariants = await checkInvariants(
        k,
        jobs.map((j) => j.id),
        since,
        180_000,
      );
      const response = await fetch(`${k.sim.url}/_sim/calls?since=${since}`);
      const calls = ((await response.json()) as { calls: { fault?: string }[] }).calls;
      const faulted: Record<string, number> = {};
      for (const call of calls) {
        if (call.fault !== undefined) {
          faulted[call.fault] = (faulted[call.fault] ?? 0) + 1;
        }
      }
      for (const job of jobs) {
        const done = await k.store.get(job.id);
        expect(done.state, done.message).toBe('succeeded');
        // Each attempt that ran the command printed the sequence; the last one printed it whole.
        expect((await k.store.readLog(job.id)).toString().endsWith(lines(10))).toBe(true);
      }
      expect(invariants.leakedOrders).toBe(0);
      expect(Object.values(faulted).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      report(`simulator faults 10% (seed ${seed})`, {
        ...invariants,
        calls: calls.length,
        faulted,
        seconds: Math.round((Date.now() - started) / 1000),
      });
    }, 300_000);
  }
});

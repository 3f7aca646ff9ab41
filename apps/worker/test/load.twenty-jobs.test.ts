import { monitorEventLoopDelay } from 'node:perf_hooks';
import { type RedisHandle, startRedis } from '@clore-batch/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Kit, startKit } from './support/e2e-kit';

let redis: RedisHandle;
let kit: Kit | undefined;

beforeAll(async () => {
  redis = await startRedis({ private: true });
});
afterEach(async () => {
  await kit?.close();
  kit = undefined;
});
afterAll(async () => {
  await redis.stop();
});

interface Call {
  at: number;
  endpoint: string;
  code: number | null;
  httpStatus: number;
}

const JOBS = 20;
const ANY_GPU = [
  'GTX 1080 Ti',
  'RTX 3060',
  'RTX 3070',
  'RTX 3080',
  'RTX 3090',
  'RTX 4070',
  'RTX 4080',
  'RTX 4090',
  'RTX 5090',
  'RTX A4000',
  'RTX A5000',
  'RTX A6000',
  'A100',
  'H100',
];

describe('20 jobs at once', () => {
  it('all succeed, the simulator sees zero code-5 answers, and every order is released', async () => {
    kit = await startKit(redis.url, {
      // The simulator in its own process, limits scaled 1/20 (50 ms / 250 ms).
      simProcess: [
        '--servers',
        '80',
        '--key',
        'e2e-key:USD-Blockchain=1000',
        '--general-ms',
        '50',
        '--create-ms',
        '250',
        '--provisioning',
        '100-300',
      ],
      // Jitter is absolute (event-loop stalls, CPU shared with other processes): keep production's
      // absolute margin of 100 ms over the simulator's limits (1 100 ms vs 1 000 ms in production).
      env: {
        WORKER_CONCURRENCY: '10',
        PROVISION_TIMEOUT_SECONDS: '30',
        CLORE_GENERAL_SPACING_MS: '150',
        CLORE_CREATE_SPACING_MS: '350',
      },
      // Production-like log polling: 20 jobs' SFTP reads every 50 ms would starve the event loop.
      settings: { logPollMs: 250 },
      noWorker: true,
    });
    await kit.startWorker();
    await kit.startWorker();
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    await fetch(`${kit.sim.url}/_sim/loop-delay/reset`, { method: 'POST' });
    const began = Date.now();
    const jobs = await Promise.all(
      Array.from({ length: JOBS }, (_, i) =>
        (kit as Kit).submit({
          // Any GPU the simulated marketplace offers (models match as whole names, decision 0116).
          gpu: { model: ANY_GPU },
          maxPricePerHourUsd: 50,
          command: `echo job ${i}; sleep 1`,
        }),
      ),
    );
    const done = await Promise.all(jobs.map((job) => (kit as Kit).waitDone(job.id, 120_000)));
    const wallMs = Date.now() - began;
    loopDelay.disable();
    for (const job of done.filter((j) => j.state !== 'succeeded')) {
      process.stdout.write(
        `NOT-SUCCEEDED ${JSON.stringify({ state: job.state, reason: job.reason, events: job.events.map((e) => e.message) })}\n`,
      );
    }
    expect(done.map((j) => j.state)).toEqual(Array(JOBS).fill('succeeded'));
    await kit.noActiveOrders(20_000);
    const orders = await kit.orders();
    expect(orders).toHaveLength(done.reduce((n, j) => n + j.attempts.length, 0));

    const calls = ((await (await fetch(`${kit.sim.url}/_sim/calls`)).json()) as { calls: Call[] }).calls;
    const code5 = calls.filter((c) => c.code === 5).length;
    const simLoop = (await (await fetch(`${kit.sim.url}/_sim/loop-delay`)).json()) as { maxMs: number };
    const byEndpoint: Record<string, number> = {};
    for (const call of calls) {
      byEndpoint[call.endpoint] = (byEndpoint[call.endpoint] ?? 0) + 1;
    }
    const perJob = calls.length / JOBS;
    const creates = calls.filter((c) => c.endpoint === 'create_order');
    const figures = {
      jobs: JOBS,
      wallSeconds: Math.round(wallMs / 100) / 10,
      calls: calls.length,
      callsPerJob: Math.round(perJob * 10) / 10,
      byEndpoint,
      createRefusals: creates.filter((c) => c.code !== 0).length,
      attempts: done.reduce((n, j) => n + j.attempts.length, 0),
      code5,
      // How long this process's event loop (both workers) was blocked: a send delayed past its
      // limiter slot can reach the API right next to the following one.
      eventLoopDelayMs: {
        p99: Math.round(loopDelay.percentile(99) / 1e6),
        max: Math.round(loopDelay.max / 1e6),
      },
      // The simulator's own stalls: calls queued meanwhile are stamped as arriving together.
      simEventLoopDelayMaxMs: simLoop.maxMs,
    };
    process.stdout.write(`WORKER-LOAD ${JSON.stringify(figures)}\n`);
    // On failure, show the calls around each code 5 (arrival times at the simulator, ms).
    const sorted = [...calls].sort((a, b) => a.at - b.at);
    sorted.forEach((call, i) => {
      if (call.code === 5) {
        const around = sorted
          .slice(Math.max(0, i - 3), i + 2)
          .map((x) => `${x.endpoint}:${x.code}@${x.at.toFixed(1)}`);
        process.stdout.write(`CODE5 ${around.join(' ')}\n`);
      }
    });
    // The limiter's send gate spaces the sends by 150 ms (100 ms over the simulator's 50 ms), as
    // production does (1 100 vs 1 000 ms). A process stalled longer than that margin between the
    // gate and the socket sends late, right beside the next call; a simulator stalled meanwhile
    // stamps the calls that queued as arriving together: that is the host starving, not the
    // limiter. So: no code 5 at all while the two event loops' stalls together kept under the margin;
    // beyond it, a few, each retried (every job above succeeded), never more than 5 % of the calls.
    const MARGIN_MS = 100;
    if (figures.eventLoopDelayMs.max + figures.simEventLoopDelayMaxMs <= MARGIN_MS) {
      expect(code5).toBe(0);
    } else {
      expect(code5).toBeLessThanOrEqual(Math.ceil(calls.length * 0.05));
      if (code5 > 0) {
        console.warn(
          `load.twenty-jobs: ${code5} code-5 answer(s) with event-loop stalls up to ${figures.eventLoopDelayMs.max} ms (workers) + ${figures.simEventLoopDelayMaxMs} ms (simulator) (margin ${MARGIN_MS} ms)`,
        );
      }
    }
    // Per job: one create (+ refusals), a share of the leader's polls and a batched cancel.
    expect(byEndpoint.create_order ?? 0).toBeGreaterThanOrEqual(JOBS);
  }, 180_000);
});

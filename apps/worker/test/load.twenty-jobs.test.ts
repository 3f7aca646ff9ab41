import { type RedisHandle, startRedis } from '@clore-batch/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Kit, startKit } from './e2e-kit';

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

describe('20 jobs at once', () => {
  it('all succeed, the simulator sees zero code-5 answers, and every order is released', async () => {
    kit = await startKit(redis.url, {
      sim: { servers: 80 },
      env: { WORKER_CONCURRENCY: '10', PROVISION_TIMEOUT_SECONDS: '30' },
      noWorker: true,
    });
    await kit.startWorker();
    await kit.startWorker();
    const began = Date.now();
    const jobs = await Promise.all(
      Array.from({ length: JOBS }, (_, i) =>
        (kit as Kit).submit({
          gpu: { model: 'NVIDIA' },
          maxPricePerHourUsd: 50,
          command: `echo job ${i}; sleep 1`,
        }),
      ),
    );
    const done = await Promise.all(jobs.map((job) => (kit as Kit).waitDone(job.id, 120_000)));
    const wallMs = Date.now() - began;
    expect(done.map((j) => j.state)).toEqual(Array(JOBS).fill('succeeded'));
    await kit.noActiveOrders(20_000);
    const orders = await kit.orders();
    expect(orders).toHaveLength(done.reduce((n, j) => n + j.attempts.length, 0));

    const calls = ((await (await fetch(`${kit.sim.url}/_sim/calls`)).json()) as { calls: Call[] }).calls;
    const code5 = calls.filter((c) => c.code === 5).length;
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
    expect(code5).toBe(0);
    // Per job: one create (+ refusals), a share of the leader's polls and a batched cancel.
    expect(byEndpoint.create_order ?? 0).toBeGreaterThanOrEqual(JOBS);
  }, 180_000);
});

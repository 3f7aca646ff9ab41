import { startSimulator } from '@clore-batch/clore-sim';
import { startRedis } from '@clore-batch/testing';
import { describe, expect, it } from 'vitest';
import { minGap, runLimiterChildren, simCallsOf } from '../../test/fixtures/run-limiter-children';
import { hashApiKey } from '../hash-api-key';

/** The real limits (1 call/s, 1 create/5 s) against the default spacing (1 100 / 5 200 ms). */
describe('the rate limiter across OS processes, real limits (slow)', () => {
  it('4 processes × 30 calls: no 429, spacing kept, ≥ 90% of the allowed rate', async () => {
    const redis = await startRedis();
    const sim = await startSimulator({
      seed: 5,
      servers: 20,
      limits: { generalMs: 1_000, createMs: 5_000 },
      keys: [{ key: 'multi-process-key' }],
    });
    try {
      const summaries = await runLimiterChildren({
        processes: 4,
        callsPerProcess: 30,
        simUrl: sim.url,
        apiKey: 'multi-process-key',
        redisUrl: redis.url,
        generalSpacingMs: 1_100,
        createSpacingMs: 5_200,
        createAt: (p) => [3, 13, 23].map((i) => i + p * 2),
        timeoutMs: 240_000,
      });
      const calls = await simCallsOf(sim.url, hashApiKey('multi-process-key'));
      const creates = calls.filter((c) => c.endpoint === 'create_order');
      const spanMs = (calls.at(-1)?.at ?? 0) - (calls[0]?.at ?? 0);
      expect(calls.filter((c) => c.code !== 0).map((c) => `${c.endpoint}: ${c.code}`)).toEqual(
        Array(12).fill('create_order: 6'),
      );
      expect(calls).toHaveLength(120);
      expect(minGap(calls.map((c) => c.at))).toBeGreaterThanOrEqual(1_100 - 50);
      expect(minGap(creates.map((c) => c.at))).toBeGreaterThanOrEqual(5_200 - 50);
      expect((calls.length - 1) / spanMs / (1 / 1_100)).toBeGreaterThanOrEqual(0.9);
      expect(summaries.map((s) => s.errors)).toEqual(Array(4).fill({ 'server-dont-exist': 3 }));
    } finally {
      await sim.close();
      await redis.stop();
    }
  }, 300_000);
});

import { it } from '@clore-batch/clore-sim/sim-fixture';
import { trackRedis } from '@clore-batch/testing';
import { Redis } from 'ioredis';
import { describe, expect } from 'vitest';
import { hashApiKey } from '../hash-api-key';
import { createRateLimiter } from '../limiter/rate-limiter';
import { CloreClient } from './clore-client';

describe('CloreClient with the shared limiter, when the API still says code 5', () => {
  it('pushes the schedule back for every process sharing the key, then succeeds', async ({
    redisServer,
    prefix,
    startSim,
  }) => {
    // The simulator is stricter (400 ms) than the limiter is configured (100 ms): 429s must happen.
    const sim = await startSim({ seed: 2, servers: 5, limits: { generalMs: 400, createMs: 400 } });
    const key = sim.keys[0] ?? '';
    const processes = [0, 1].map(() => {
      const redis = trackRedis(new Redis(redisServer.url));
      const limiter = createRateLimiter({ redis, keyHash: hashApiKey(key), prefix, generalSpacingMs: 100 });
      const client = new CloreClient({
        baseUrl: sim.url,
        apiKey: key,
        limiter,
        retry: { maxAttempts: 6, baseDelayMs: 600, maxDelayMs: 600 },
      });
      return { redis, limiter, client };
    });
    try {
      await Promise.all(processes.flatMap((p) => [p.client.wallets(), p.client.myOrders()]));
      const calls = [...sim.sim.calls.list()].sort((a, b) => a.at - b.at);
      const ok = calls.filter((c) => c.code === 0);
      expect(ok).toHaveLength(4);
      const limited = calls.filter((c) => c.code === 5);
      expect(limited.length).toBeGreaterThan(0);
      // After each 429 the client penalises the shared schedule by its backoff (≥ 0.5 × 600 ms): at
      // most one call (a slot already reserved before the penalty landed) goes out within 290 ms.
      // Without the penalty the other process would go on every 100 ms.
      for (const refused of limited) {
        const soon = calls.filter((c) => c.at > refused.at && c.at < refused.at + 290);
        expect(soon.length).toBeLessThanOrEqual(1);
      }
      expect(limited.length).toBeLessThanOrEqual(8);
    } finally {
      for (const p of processes) {
        await p.limiter.close();
        p.redis.disconnect();
      }
    }
  });
});

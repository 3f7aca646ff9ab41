import { it } from '@clore-batch/clore-sim/sim-fixture';
import { describe } from 'vitest';
import { expectSpacingAcrossProcesses, SHARED_KEY } from '../../test/fixtures/run-limiter-children';

/** The real limits (1 call/s, 1 create/5 s) against the default spacing (1 100 / 5 200 ms). */
describe('the rate limiter across OS processes, real limits (slow)', () => {
  it('4 processes × 30 calls: no 429, spacing kept, ≥ 90% of the allowed rate', async ({
    redisServer,
    startSim,
  }) => {
    const limits = { generalMs: 1_000, createMs: 5_000 };
    const sim = await startSim({ seed: 5, servers: 20, limits, keys: [{ key: SHARED_KEY }] });
    await expectSpacingAcrossProcesses({
      simUrl: sim.url,
      redisUrl: redisServer.url,
      generalSpacingMs: 1_100,
      createSpacingMs: 5_200,
      timeoutMs: 240_000,
    });
  }, 300_000);
});

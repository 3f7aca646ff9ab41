import { CloreClient } from '@clore-batch/clore';
import { createTelemetryCounters, silentLogger } from '@clore-batch/shared';
import { startSentinelGroup, trackRedis } from '@clore-batch/testing';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createFleet } from '../src/fleet/create-fleet';
import { BASE_SETTINGS } from './support/fleet-kit';

/**
 * Through Sentinel, an order intent waits (WAIT 1 500) until a replica holds it before the create is
 * sent (docs/decisions/0145). WAIT blocks the connection it is sent on: on the worker's shared client
 * it held up every other command of the process (leases, claims, the store, the limiter) for up to
 * 500 ms per create while no replica answered. The intents have a connection of their own.
 */
describe('order intents through Sentinel with no replica answering', () => {
  it("wait for a replica on their own connection: the shared client's commands are not held up", async () => {
    const group = await startSentinelGroup();
    const redis = trackRedis(
      new Redis({
        sentinels: group.sentinelPorts.map((port) => ({ host: '127.0.0.1', port })),
        name: group.name,
        maxRetriesPerRequest: null,
      }),
      'shared worker client',
    );
    redis.on('error', () => {});
    const fleet = createFleet({
      redis,
      prefix: 'intents-sentinel',
      // Never called: the fleet is not started, only its intents are used.
      client: new CloreClient({ baseUrl: 'http://127.0.0.1:9', apiKey: 'unused' }),
      logger: silentLogger(),
      telemetry: createTelemetryCounters(redis, 'intents-sentinel'),
      liveness: async () => true,
      settings: BASE_SETTINGS,
    });
    try {
      await group.servers[1]?.kill(); // the only replica: WAIT 1 now times out after 500 ms
      let recorded = false;
      const started = performance.now();
      const recording = fleet.intents.record({ jobId: 'job-1', attempt: 1, serverId: 7 }).finally(() => {
        recorded = true;
      });
      let slowestPingMs = 0;
      while (!recorded) {
        const sent = performance.now();
        await redis.ping();
        slowestPingMs = Math.max(slowestPingMs, performance.now() - sent);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const intent = await recording;
      expect(intent).toMatchObject({ jobId: 'job-1', attempt: 1, serverId: 7 });
      expect(performance.now() - started).toBeGreaterThanOrEqual(450); // the WAIT did run
      expect(slowestPingMs).toBeLessThan(250);
    } finally {
      await fleet.stop();
      await redis.quit();
      await group.stop();
    }
  }, 60_000);
});

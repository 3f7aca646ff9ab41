import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RedisHandle, startRedis, trackRedis } from '@clore-batch/testing';
import { Redis } from 'ioredis';
import { parseJobSpec, type StoredJobSpec, toStoredSpec } from '../spec/job-spec';
import { createJobStore, type JobStore } from './job-store';

/**
 * Test-only: one Redis server per test file and, per test, a store with its own key prefix and data
 * directory. Not exported from the package.
 */
export interface StoreServer {
  redis: Redis;
  stop(): Promise<void>;
}

export async function startStoreServer(): Promise<StoreServer> {
  const server: RedisHandle = await startRedis();
  const redis = trackRedis(new Redis(server.url));
  return {
    redis,
    async stop() {
      await redis.quit();
      await server.stop();
    },
  };
}

export interface StoreFixture {
  store: JobStore;
  prefix: string;
  dataDir: string;
  close(): Promise<void>;
}

export async function openStore(
  server: StoreServer,
  options: { logTailBytes?: number; logMaxBytes?: number; now?: () => Date } = {},
): Promise<StoreFixture> {
  const prefix = `test-${randomUUID()}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'cb-store-'));
  const store = createJobStore({
    redis: server.redis,
    prefix,
    dataDir,
    logTailBytes: options.logTailBytes ?? 1024,
    ...(options.logMaxBytes === undefined ? {} : { logMaxBytes: options.logMaxBytes }),
    ...(options.now ? { now: options.now } : {}),
  });
  return {
    store,
    prefix,
    dataDir,
    async close() {
      await store.close();
      const keys = await server.redis.keys(`${prefix}:*`);
      if (keys.length > 0) {
        await server.redis.del(...keys);
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function testSpec(overrides: Record<string, unknown> = {}): StoredJobSpec {
  return toStoredSpec(
    parseJobSpec(
      {
        gpu: { model: 'RTX 4090' },
        image: 'ubuntu:22.04',
        command: 'echo hello',
        maxPricePerHourUsd: 1,
        budgetUsd: 5,
        ...overrides,
      },
      { currency: 'CLORE-Blockchain' },
    ),
  );
}

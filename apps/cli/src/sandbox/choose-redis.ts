import { randomBytes } from 'node:crypto';
import { deleteKeysUnder, startRedisServer } from '@clore-batch/runtime';
import { Redis } from 'ioredis';

export interface SandboxRedis {
  url: string;
  /** `given`: REDIS_URL answered PING; `spawned`: a private redis-server this sandbox runs. */
  via: 'given' | 'spawned';
  /** Key prefix: unique per run in a given (possibly shared) Redis, `sandbox` in a spawned one. */
  prefix: string;
  /** Stop the spawned server, or delete this run's keys from the given one. */
  stop(): Promise<void>;
}

/**
 * REDIS_URL when it answers PING within 2 s, else a private `redis-server` on a free port. In a
 * given Redis every key of this run is under a fresh `sandbox-<8 hex>` prefix (never anyone
 * else's data), and those keys are deleted again on stop.
 */
export async function chooseRedis(givenUrl: string | undefined): Promise<SandboxRedis> {
  if (givenUrl && (await answersPing(givenUrl))) {
    const prefix = `sandbox-${randomBytes(4).toString('hex')}`;
    return { url: givenUrl, via: 'given', prefix, stop: () => deletePrefix(givenUrl, prefix) };
  }
  const handle = await startRedisServer();
  return { url: handle.url, via: 'spawned', prefix: 'sandbox', stop: () => handle.stop() };
}

export async function answersPing(url: string): Promise<boolean> {
  const probe = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2_000,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/** Delete every key under `prefix:` (nothing outside the prefix). */
async function deletePrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await deleteKeysUnder(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

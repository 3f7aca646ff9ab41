import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteKeysUnder } from '@clore-batch/runtime';
import { Redis } from 'ioredis';
import { test as base } from 'vitest';
import { holdAcrossTests } from './leak-check';
import { startRedis } from './redis';

/**
 * vitest's `test` with the fixtures every Redis-backed suite needs (packages/testing/README.md).
 * A fixture starts only when a test (or a hook) names it.
 * - `redisServer` (file): one Redis for the file (REDIS_URL, a container, or a spawned redis-server).
 * - `redis` (file): an ioredis client on it, quit after the file.
 * - `prefix` (test): a fresh key prefix; every key under `<prefix>:` is deleted after the test.
 * - `dataDir` (test): a fresh temporary directory, removed after the test.
 */
export const test = base
  // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's dependencies from this pattern
  .extend('redisServer', { scope: 'file' }, async ({}, { onCleanup }) => {
    const { value: server, release } = await holdAcrossTests(() => startRedis());
    onCleanup(async () => {
      await server.stop();
      release();
    });
    return server;
  })
  .extend('redis', { scope: 'file' }, async ({ redisServer }, { onCleanup }) => {
    const client = new Redis(redisServer.url);
    onCleanup(async () => void (await client.quit()));
    return client;
  })
  .extend('prefix', async ({ redis }, { onCleanup }) => {
    const prefix = `test-${randomUUID()}`;
    onCleanup(() => deleteKeysUnder(redis, prefix));
    return prefix;
  })
  // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's dependencies from this pattern
  .extend('dataDir', async ({}, { onCleanup }) => {
    const dir = await mkdtemp(join(tmpdir(), 'cb-test-'));
    onCleanup(() => rm(dir, { recursive: true, force: true }));
    return dir;
  });

export const it = test;

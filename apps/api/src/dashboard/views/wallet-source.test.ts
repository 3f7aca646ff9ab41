import { randomUUID } from 'node:crypto';
import { startSimulator } from '@clore-batch/clore-sim';
import { loadConfig, silentLogger } from '@clore-batch/shared';
import { type RedisHandle, startRedis, trackRedis } from '@clore-batch/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWalletSource, WALLET_CACHE_MS } from './wallet-source';

let redisHandle: RedisHandle;
let redis: Redis;

beforeAll(async () => {
  redisHandle = await startRedis();
  redis = trackRedis(new Redis(redisHandle.url, { maxRetriesPerRequest: null }));
});
afterAll(async () => {
  await redis.quit();
  await redisHandle.stop();
});

const configFor = (env: Record<string, string>) =>
  loadConfig({
    SECRETS_KEY: 'wallet-test-secrets-key-0123456789',
    REDIS_PREFIX: `test-${randomUUID()}`,
    CLORE_GENERAL_SPACING_MS: '20',
    CLORE_CREATE_SPACING_MS: '40',
    CLORE_TIMEOUT_MS: '2000',
    ...env,
  });

describe('wallet balances for the money view', () => {
  it('calls wallets at most once per cache period, through the shared limiter, and says so on errors', async () => {
    const sim = await startSimulator({
      keys: [{ key: 'wallet-key', balances: { 'USD-Blockchain': 42.5 } }],
      limits: { generalMs: 10, createMs: 20 },
    });
    let clock = 1_000_000;
    const source = createWalletSource({
      config: configFor({ CLORE_API_URL: sim.url, CLORE_API_KEY: 'wallet-key' }),
      redis,
      logger: silentLogger(),
      now: () => clock,
    });
    const badKey = createWalletSource({
      config: configFor({ CLORE_API_URL: sim.url, CLORE_API_KEY: 'not-a-sim-key' }),
      redis,
      logger: silentLogger(),
    });
    try {
      const calls = async () =>
        ((await (await fetch(`${sim.url}/_sim/calls?endpoint=wallets`)).json()) as { calls: unknown[] }).calls
          .length;
      const [first, concurrent] = await Promise.all([source.get(), source.get()]);
      expect(first).toMatchObject({
        status: 'ok',
        wallets: expect.arrayContaining([
          expect.objectContaining({ currency: 'USD-Blockchain', balance: 42.5 }),
        ]),
      });
      expect(concurrent).toBe(first);
      expect(await source.get()).toBe(first);
      expect(await calls()).toBe(1);
      clock += WALLET_CACHE_MS;
      expect((await source.get()).status).toBe('ok');
      expect(await calls()).toBe(2);

      const refused = await badKey.get();
      expect(refused).toMatchObject({ status: 'error' });
      expect(JSON.stringify(refused)).not.toContain('not-a-sim-key');
    } finally {
      await source.close();
      await badKey.close();
      await sim.close();
    }
  });

  it('is "unknown" without CLORE_API_KEY and makes no connection', async () => {
    const source = createWalletSource({ config: configFor({}), redis, logger: silentLogger() });
    expect(await source.get()).toEqual({
      status: 'unknown',
      message: 'unknown: the API has no CLORE_API_KEY',
    });
    await source.close();
  });
});

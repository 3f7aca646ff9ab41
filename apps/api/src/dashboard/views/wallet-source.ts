import {
  type CloreClient,
  cloreClientFromConfig,
  cloreLimiterFromConfig,
  type RateLimiter,
  type Wallet,
} from '@clore-batch/clore';
import type { Config, DeepReadonly, Logger } from '@clore-batch/shared';
import type { Redis } from 'ioredis';

export type WalletView =
  | { status: 'ok'; wallets: Wallet[]; at: number }
  | { status: 'unknown'; message: string }
  | { status: 'error'; message: string; at: number };

export interface WalletSource {
  get(): Promise<WalletView>;
  close(): Promise<void>;
}

export const WALLET_CACHE_MS = 60_000;
const ERROR_CACHE_MS = 15_000;

/**
 * Wallet balances for the money view, fetched at most once a minute through the deployment's
 * shared Clore rate limiter on the `reads` lane (the schedule every worker uses for this API key).
 * Without CLORE_API_KEY the balance is "unknown". The limiter (one pub/sub connection) is made on
 * first use and closed by `close()`.
 */
export function createWalletSource(deps: {
  config: DeepReadonly<Config>;
  redis: Redis;
  logger: Logger;
  now?: () => number;
  cacheMs?: number;
}): WalletSource {
  const { config } = deps;
  const now = deps.now ?? Date.now;
  const cacheMs = deps.cacheMs ?? WALLET_CACHE_MS;
  let limiter: RateLimiter | undefined;
  let client: CloreClient | undefined;
  let cached: { view: WalletView; until: number } | undefined;
  let inflight: Promise<WalletView> | undefined;

  const fetchWallets = async (): Promise<WalletView> => {
    if (client === undefined) {
      // The workers' schedule (the same factory as start-worker.ts): one queue for this key in this deployment.
      limiter = cloreLimiterFromConfig(config, { redis: deps.redis, logger: deps.logger });
      client = cloreClientFromConfig(config, { limiter, logger: deps.logger, retry: { maxAttempts: 1 } });
    }
    try {
      const wallets = await client.wallets({ lane: 'reads' });
      const view: WalletView = { status: 'ok', wallets, at: now() };
      cached = { view, until: now() + cacheMs };
      return view;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      deps.logger.warn({ code }, 'dashboard: wallet balances unavailable');
      const view: WalletView = {
        status: 'error',
        message: `Clore wallets failed (${String(code ?? 'error')})`,
        at: now(),
      };
      cached = { view, until: now() + Math.min(cacheMs, ERROR_CACHE_MS) };
      return view;
    }
  };

  return {
    async get() {
      if (config.CLORE_API_KEY === undefined) {
        return { status: 'unknown', message: 'unknown: the API has no CLORE_API_KEY' };
      }
      if (cached !== undefined && cached.until > now()) {
        return cached.view;
      }
      inflight ??= fetchWallets().finally(() => {
        inflight = undefined;
      });
      return inflight;
    },
    async close() {
      await inflight?.catch(() => undefined);
      await limiter?.close();
    },
  };
}

import { AppError, type Config, type DeepReadonly, type Logger } from '@clore-batch/shared';
import type { Redis } from 'ioredis';
import { hashApiKey } from '../hash-api-key';
import type { CallLimiter } from '../limiter/limiter-types';
import { createRateLimiter, type RateLimiter, type RateLimiterOptions } from '../limiter/rate-limiter';
import type { FetchLike } from '../transport/send-request';
import { CloreClient } from './clore-client';
import type { RetryOptions } from './retry-policy';

/** The settings a Clore client and its limiter are made from. */
export type CloreConfig = Pick<
  DeepReadonly<Config>,
  | 'CLORE_API_URL'
  | 'CLORE_API_KEY'
  | 'CLORE_PRICE_UNIT'
  | 'CLORE_TIMEOUT_MS'
  | 'CLORE_GENERAL_SPACING_MS'
  | 'CLORE_CREATE_SPACING_MS'
  | 'REDIS_PREFIX'
>;

function apiKeyOf(config: CloreConfig): string {
  if (config.CLORE_API_KEY === undefined) {
    throw new AppError('CONFIG_INVALID', 'CLORE_API_KEY is required to call the Clore API');
  }
  return config.CLORE_API_KEY;
}

/**
 * The deployment's shared Clore rate limiter for CLORE_API_KEY: every process of the deployment
 * (workers, the API's wallet view) that calls Clore with this key waits in the same schedule.
 */
export function cloreLimiterFromConfig(
  config: CloreConfig,
  deps: { redis: Redis; logger: Logger; onAcquire?: RateLimiterOptions['onAcquire'] },
): RateLimiter {
  return createRateLimiter({
    redis: deps.redis,
    keyHash: hashApiKey(apiKeyOf(config)),
    generalSpacingMs: config.CLORE_GENERAL_SPACING_MS,
    createSpacingMs: config.CLORE_CREATE_SPACING_MS,
    prefix: config.REDIS_PREFIX,
    logger: deps.logger,
    onAcquire: deps.onAcquire,
  });
}

/**
 * A Clore client from config: base URL, key, timeout and price unit. `limiter` is the shared one
 * (cloreLimiterFromConfig); without it the client does not pace its calls (decision 0124's direct
 * cancel, which must work while Redis does not).
 */
export function cloreClientFromConfig(
  config: CloreConfig,
  deps: { logger: Logger; limiter?: CallLimiter; fetch?: FetchLike; retry?: RetryOptions },
): CloreClient {
  return new CloreClient({
    baseUrl: config.CLORE_API_URL,
    apiKey: apiKeyOf(config),
    logger: deps.logger,
    timeoutMs: config.CLORE_TIMEOUT_MS,
    priceUnit: config.CLORE_PRICE_UNIT === 'hour' ? 'per_hour' : 'per_day',
    limiter: deps.limiter,
    fetch: deps.fetch,
    retry: deps.retry,
  });
}

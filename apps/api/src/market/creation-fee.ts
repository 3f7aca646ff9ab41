import {
  cloreClientFromConfig,
  cloreLimiterFromConfig,
  createFeeBook,
  type FeeBook,
  type RateLimiter,
} from '@clore-batch/clore';
import type { Config, DeepReadonly, Logger, OrderType, UsdRates } from '@clore-batch/shared';
import type { Redis } from 'ioredis';

/** How long a plan waits for renter_fees (in the shared limiter's queue and on the wire). */
const FEE_WAIT_MS = 5_000;

/**
 * The provider's creation fee for plans, as the worker computes it (provision.ts): the fee book's
 * renter_fees figure (cached 10 minutes, read on the `reads` lane of the deployment's shared rate
 * limiter) times the snapshot's USD rate. Undefined without CLORE_API_KEY, when renter_fees does not
 * answer within FEE_WAIT_MS, or without a rate: the plan then estimates it as selection does.
 */
export interface CreationFeeSource {
  usd(currency: string, orderType: OrderType, rates: UsdRates): Promise<number | undefined>;
  close(): Promise<void>;
}

export function createCreationFeeSource(deps: {
  config: DeepReadonly<Config>;
  redis: Redis;
  logger: Logger;
}): CreationFeeSource {
  let limiter: RateLimiter | undefined;
  let book: FeeBook | undefined;
  const feeBook = (): FeeBook => {
    if (book === undefined) {
      limiter = cloreLimiterFromConfig(deps.config, { redis: deps.redis, logger: deps.logger });
      const client = cloreClientFromConfig(deps.config, {
        limiter,
        logger: deps.logger,
        retry: { maxAttempts: 1 },
      });
      book = createFeeBook(
        { renterFees: () => client.renterFees({ lane: 'reads', signal: AbortSignal.timeout(FEE_WAIT_MS) }) },
        { ttlMs: 10 * 60_000, logger: deps.logger },
      );
    }
    return book;
  };
  return {
    async usd(currency, orderType, rates) {
      const rate = rates[currency];
      if (deps.config.CLORE_API_KEY === undefined || rate === undefined) {
        return undefined;
      }
      const fee = await feeBook()
        .creationFee(currency, orderType)
        .catch(() => undefined);
      return fee === undefined ? undefined : fee * rate;
    },
    async close() {
      await limiter?.close();
    },
  };
}

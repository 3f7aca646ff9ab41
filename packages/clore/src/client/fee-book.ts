import { type Logger, silentLogger } from '@clore-batch/shared';
import type { RenterFees } from '../model/renter-fees';
import type { OrderType } from './create-order-request';

export interface FeeBook {
  /**
   * The creation fee of one order, in `currency` (the unit of per-day prices in that currency);
   * undefined when the API does not say (no figure for it, or renter_fees could not be read).
   */
  creationFee(currency: string, orderType: OrderType): Promise<number | undefined>;
}

export interface FeeBookOptions {
  /** How long one renter_fees answer is used (fees change rarely). */
  ttlMs: number;
  /** After a failed read, how long before the next try (default min(ttlMs, 60 000)). */
  retryAfterFailureMs?: number;
  logger?: Logger;
  now?: () => number;
}

/**
 * renter_fees, cached: at most one call per `ttlMs` (and one in flight at a time, shared by every
 * caller). When a refresh fails the last answer stays in use; with none, the fee is undefined and
 * the caller must use its own (conservative) estimate.
 */
export function createFeeBook(
  client: { renterFees(): Promise<RenterFees> },
  options: FeeBookOptions,
): FeeBook {
  const now = options.now ?? Date.now;
  const log = options.logger ?? silentLogger();
  const retryMs = options.retryAfterFailureMs ?? Math.min(options.ttlMs, 60_000);
  let fees: RenterFees | undefined;
  let freshUntil = 0;
  let inFlight: Promise<void> | undefined;

  const refresh = async (): Promise<void> => {
    try {
      fees = await client.renterFees();
      freshUntil = now() + options.ttlMs;
    } catch (error) {
      freshUntil = now() + retryMs;
      log.warn(
        { err: (error as Error).message, code: (error as { code?: unknown }).code },
        'renter_fees could not be read; creation fees come from the last answer or the caller',
      );
    }
  };

  return {
    async creationFee(currency, orderType) {
      if (now() >= freshUntil) {
        inFlight ??= refresh().finally(() => {
          inFlight = undefined;
        });
        await inFlight;
      }
      const fee = fees?.creationFees[orderType][currency];
      return fee !== undefined && Number.isFinite(fee) && fee >= 0 ? fee : undefined;
    },
  };
}

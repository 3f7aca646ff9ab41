import { fleetKeys, type MarketplaceSnapshot, readFleetRecord } from '@clore-batch/shared';
import type { Redis } from 'ioredis';

/**
 * The fleet leader's marketplace snapshot as the API reads it (offers, the submit check, plans):
 * through the fleet's one reader (read-fleet-record.ts), never a Clore call. Concurrent reads share
 * one GET, and the parsed snapshot is reused while the stored text is unchanged. A malformed
 * snapshot throws FLEET_RECORD_MALFORMED.
 */
export interface MarketplaceReader {
  /** The stored snapshot; undefined when none is stored yet. */
  read(): Promise<MarketplaceSnapshot | undefined>;
  /** Ask the leader for an early refresh (the fleet's marketplaceRequests channel). */
  requestRefresh(): Promise<void>;
}

export function createMarketplaceReader(deps: { redis: Redis; prefix: string }): MarketplaceReader {
  const keys = fleetKeys(deps.prefix);
  let cached: { raw: string; snapshot: MarketplaceSnapshot } | undefined;
  let reading: Promise<MarketplaceSnapshot | undefined> | undefined;

  const read = async (): Promise<MarketplaceSnapshot | undefined> => {
    const raw = await deps.redis.get(keys.marketplace);
    if (raw === null) {
      return undefined;
    }
    if (cached?.raw !== raw) {
      const snapshot = readFleetRecord('marketplace', raw) as MarketplaceSnapshot;
      cached = { raw, snapshot };
    }
    return cached.snapshot;
  };

  return {
    read() {
      reading ??= read().finally(() => {
        reading = undefined;
      });
      return reading;
    },
    async requestRefresh() {
      await deps.redis.publish(keys.marketplaceRequests, '1');
    },
  };
}

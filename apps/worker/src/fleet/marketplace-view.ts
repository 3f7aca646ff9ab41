import type { CloreClient } from '@clore-batch/clore';
import { type FleetKeys, fleetRecordJson, type Logger, parseFleetRecord } from '@clore-batch/shared';
import type { Redis } from 'ioredis';
import type { ChannelHub } from './channel-hub';
import { FENCED_SET_PUBLISH } from './fleet-scripts';
import type { MarketplaceSnapshot, MarketplaceView } from './fleet-types';
import { waitOnChannel } from './wait-on-channel';

export interface MarketplaceViewOptions {
  redis: Redis;
  hub: ChannelHub;
  keys: FleetKeys;
  /** get() re-reads the Redis key this often while it waits for the first snapshot. */
  fallbackMs: number;
}

/**
 * The marketplace every selection reads: the leader's latest snapshot in Redis. A process keeps
 * the parsed snapshot and reuses it until the leader announces a newer one (or `fallbackMs` passes),
 * so 20 selections at once cost one Redis read, not 20 parses of a large document.
 */
export function createMarketplaceView(options: MarketplaceViewOptions): MarketplaceView & { close(): void } {
  const { redis, hub, keys } = options;
  let cached: { snapshot: MarketplaceSnapshot; readAt: number } | undefined;
  let reading: Promise<MarketplaceSnapshot | undefined> | undefined;
  const unlisten = hub.listen(keys.marketplaceChanged, () => {
    cached = undefined;
  });

  async function read(): Promise<MarketplaceSnapshot | undefined> {
    if (cached !== undefined && Date.now() - cached.readAt < options.fallbackMs) {
      return cached.snapshot;
    }
    reading ??= (async () => {
      try {
        const raw = await redis.get(keys.marketplace);
        if (raw === null) {
          return undefined;
        }
        const snapshot = parseFleetRecord('marketplace', raw);
        cached = { snapshot, readAt: Date.now() };
        return snapshot;
      } finally {
        reading = undefined;
      }
    })();
    return reading;
  }

  return {
    get(signal) {
      return waitOnChannel({
        hub,
        channel: keys.marketplaceChanged,
        fallbackMs: options.fallbackMs,
        signal,
        check: read,
      });
    },
    async requestRefresh() {
      await redis.publish(keys.marketplaceRequests, '1');
    },
    close() {
      unlisten();
    },
  };
}

export interface MarketplaceRefreshDeps {
  redis: Redis;
  keys: FleetKeys;
  client: CloreClient;
  leaseId: string;
  logger: Logger;
  now: () => number;
}

/** One leader round: one marketplace call, stored (fenced by the lease) and announced. */
export function marketplaceRefreshRound(deps: MarketplaceRefreshDeps) {
  return async (signal: AbortSignal): Promise<undefined> => {
    const market = await deps.client.marketplace({ signal });
    const snapshot: MarketplaceSnapshot = {
      at: deps.now(),
      servers: market.servers,
      usdRates: market.usdRates,
    };
    const written = await deps.redis.eval(
      FENCED_SET_PUBLISH,
      2,
      deps.keys.leader,
      deps.keys.marketplace,
      deps.leaseId,
      fleetRecordJson('marketplace', snapshot),
      deps.keys.marketplaceChanged,
      String(snapshot.at),
    );
    if (Number(written) !== 1) {
      deps.logger.warn('marketplace snapshot not stored: this process no longer holds the leader lease');
    }
    return undefined;
  };
}

import { randomUUID } from 'node:crypto';
import type { CloreClient } from '@clore-batch/clore';
import {
  fleetKeys,
  forComponent,
  type Logger,
  type TelemetryCounters,
  viaSentinel,
} from '@clore-batch/shared';
import type { Redis } from 'ioredis';
import { cancelSendRound } from './cancel-sender';
import { ChannelHub } from './channel-hub';
import { type FleetSettings, resolveFleetSettings } from './fleet-settings';
import type {
  AttemptLiveness,
  Intents,
  MarketplaceView,
  OrderBook,
  Releases,
  ServerClaims,
} from './fleet-types';
import { createIntents } from './intents';
import { LeaderLease } from './leader-lease';
import { LeaderTask } from './leader-task';
import { createMarketplaceView, marketplaceRefreshRound } from './marketplace-view';
import { createOrderBook } from './order-book';
import { orderWatchRound } from './order-watcher';
import { PollDemand } from './poll-demand';
import { createReaper, type ReaperDeps } from './reaper';
import { createReleases } from './releases';
import { createServerClaims } from './server-claims';

export interface FleetDeps {
  /** A connected ioredis client for commands (not closed by the fleet). */
  redis: Redis;
  /** A connection for pub/sub (unsubscribed on stop, not closed); default: the fleet's own duplicate. */
  subscriber?: Redis;
  prefix: string;
  /** The Clore client, with the shared rate limiter (only the leader calls it). */
  client: CloreClient;
  logger: Logger;
  telemetry: TelemetryCounters;
  liveness: AttemptLiveness;
  /** A reaped orphan of a job ended: count its bill in the job (docs/decisions/0123). */
  onOrphanEnded?: ReaperDeps['onOrphanEnded'];
  settings: FleetSettings;
  /** Local clock (default Date.now): snapshot `at` and intent binding times. */
  now?: () => number;
}

export interface Fleet {
  orderBook: OrderBook;
  marketplace: MarketplaceView;
  claims: ServerClaims;
  intents: Intents;
  releases: Releases;
  /** Subscribe, start campaigning for the lease and the leader loops. */
  start(): Promise<void>;
  /** Stop the loops (aborting Clore calls in flight) and release the lease; `releaseLease: false` simulates a crash. */
  stop(options?: { releaseLease?: boolean }): Promise<void>;
  isLeader(): boolean;
  /** This instance's lease id (shown in logs and in the lease key). */
  readonly id: string;
  /** Rounds and failures of each leader duty in this process. */
  stats(): Record<'orders' | 'marketplace' | 'cancels', { rounds: number; failures: number }>;
}

/**
 * The worker's fleet services (docs/decisions/0045–0049): views and writes every process uses
 * (orders, marketplace, claims, intents, releases), and the leader duties only the elected
 * process runs (my_orders watcher, marketplace refresh, cancel sender, reaper).
 */
export function createFleet(deps: FleetDeps): Fleet {
  const settings = resolveFleetSettings(deps.settings);
  const now = deps.now ?? Date.now;
  const keys = fleetKeys(deps.prefix);
  const id = `${randomUUID().slice(0, 8)}`;
  const log = forComponent(deps.logger, 'fleet', { fleetId: id });
  const { redis } = deps;
  const hub = new ChannelHub({ redis, subscriber: deps.subscriber, logger: log });
  const demandNames = keys.demand;
  const channels = [
    demandNames.changed,
    keys.ordersChanged,
    keys.pollRequests,
    keys.marketplaceChanged,
    keys.marketplaceRequests,
    keys.cancelRequests,
  ];

  const demand = new PollDemand({ redis, keys, member: id, ttlMs: settings.demandTtlMs });
  const orderBook = createOrderBook({ redis, hub, keys, fallbackMs: settings.pollIntervalMs, demand });
  const marketplace = createMarketplaceView({ redis, hub, keys, fallbackMs: settings.marketplaceRefreshMs });
  const claims = createServerClaims(redis, keys);
  // Through Sentinel, recording an intent waits for a replica (WAIT, up to 500 ms; 0145), which
  // blocks the connection it is sent on: the intents get one of their own, so the shared client's
  // commands (leases, claims, the store, the limiter) are not held up behind it.
  const intentsRedis = viaSentinel(redis) ? redis.duplicate() : undefined;
  intentsRedis?.on('error', (error: Error) => log.warn({ err: error.message }, 'intents Redis connection'));
  const intents = createIntents(intentsRedis ?? redis, keys, log);
  const closeIntentsRedis = async () => {
    await intentsRedis?.quit().catch(() => intentsRedis.disconnect());
  };
  const releases = createReleases({ redis, hub, keys, fallbackMs: settings.pollIntervalMs });
  const reaper = createReaper({
    redis,
    keys,
    intents,
    releases,
    liveness: deps.liveness,
    ...(deps.onOrphanEnded === undefined ? {} : { onOrphanEnded: deps.onOrphanEnded }),
    telemetry: deps.telemetry,
    logger: forComponent(log, 'reaper'),
    settings: {
      graceMs: settings.reaperGraceMs,
      intentMatchWindowMs: settings.intentMatchWindowMs,
      exclusiveKey: settings.exclusiveKey,
      unboundIntentMaxAgeMs: settings.unboundIntentMaxAgeMs,
      orphanRecordKeepMs: settings.orphanRecordKeepMs,
    },
  });

  const lease = new LeaderLease({
    redis,
    key: keys.leader,
    id,
    ttlMs: settings.leaderTtlMs,
    logger: log,
    onChange: (leader) => {
      if (leader) {
        for (const task of tasks) {
          task.promoted();
        }
      }
    },
  });
  const isLeader = () => lease.isLeader();

  const watcher: LeaderTask = new LeaderTask({
    name: 'order-watcher',
    isLeader,
    intervalMs: settings.pollIntervalMs,
    minGapMs: settings.pollMinGapMs,
    logger: log,
    run: orderWatchRound({
      redis,
      keys,
      client: deps.client,
      leaseId: id,
      logger: forComponent(log, 'order-watcher'),
      telemetry: deps.telemetry,
      now,
      wakeSelf: () => watcher.wake(),
      afterPoll: (snapshot) => reaper.sweep(snapshot),
      endAfterMisses: settings.endAfterMisses,
      cadence: {
        fastMs: settings.pollIntervalMs,
        idleMs: settings.idlePollIntervalMs,
        quietMs: settings.quietPollIntervalMs,
      },
    }),
  });
  const refresher = new LeaderTask({
    name: 'marketplace',
    isLeader,
    intervalMs: settings.marketplaceRefreshMs,
    minGapMs: settings.marketplaceMinGapMs,
    logger: log,
    run: marketplaceRefreshRound({ redis, keys, client: deps.client, leaseId: id, logger: log, now }),
  });
  const canceller = new LeaderTask({
    name: 'cancel-sender',
    isLeader,
    intervalMs: 1_000,
    minGapMs: 0,
    errorDelayMs: settings.cancelRetryBaseMs,
    logger: log,
    run: cancelSendRound({
      redis,
      keys,
      client: deps.client,
      logger: forComponent(log, 'cancel-sender'),
      onSent: () => watcher.wake(),
      settings: {
        batchWindowMs: settings.cancelBatchWindowMs,
        confirmMs: settings.cancelConfirmMs,
        retryBaseMs: settings.cancelRetryBaseMs,
        retryMaxMs: settings.cancelRetryMaxMs,
        idleMs: 1_000,
      },
    }),
  });
  const tasks = [watcher, refresher, canceller];
  hub.listen(keys.pollRequests, () => watcher.wake());
  // Demand appeared where there was none: the next poll comes at that demand's cadence (0055).
  hub.listen(demandNames.changed, (kind) =>
    watcher.retime(kind === 'urgent' ? settings.pollIntervalMs : settings.idlePollIntervalMs),
  );
  hub.listen(keys.marketplaceRequests, () => refresher.wake());
  hub.listen(keys.cancelRequests, () => canceller.wake());

  let started = false;
  return {
    id,
    orderBook,
    marketplace,
    claims,
    intents,
    releases,
    isLeader,
    async start() {
      if (started) {
        return;
      }
      started = true;
      await hub.subscribe(channels);
      for (const task of tasks) {
        task.start();
      }
      await lease.start();
    },
    async stop(options = {}) {
      if (!started) {
        await hub.close(channels);
        await closeIntentsRedis();
        return;
      }
      started = false;
      demand.close();
      await Promise.all(tasks.map((task) => task.stop()));
      await lease.stop(options.releaseLease !== false);
      marketplace.close();
      await hub.close(channels);
      await closeIntentsRedis();
    },
    stats() {
      return { orders: watcher.stats(), marketplace: refresher.stats(), cancels: canceller.stats() };
    },
  };
}

import type { CloreClient } from '@clore-batch/clore';
import type { JobStore, Logger, SecretKey, TelemetryCounters } from '@clore-batch/shared';
import type { Redis } from 'ioredis';
import type { Intents, MarketplaceView, OrderBook, Releases, ServerClaims } from '../fleet/fleet-types';

/** The fleet's views a job needs (fleet-types.ts); the leader keeps them fresh for every worker. */
export interface FleetViews {
  orderBook: OrderBook;
  marketplace: MarketplaceView;
  claims: ServerClaims;
  intents: Intents;
  releases: Releases;
}

/** Timings and limits of the lifecycle; tests scale them down (same code paths, shorter clocks). */
export interface LifecycleSettings {
  /** From an attempt's start until its server must answer SSH (PROVISION_TIMEOUT_SECONDS). */
  provisionTimeoutMs: number;
  /** How long a job may keep a server to itself while ordering it (SERVER_CLAIM_TTL_SECONDS). */
  claimTtlMs: number;
  /** The order book's poll interval (ORDER_POLL_INTERVAL_MS): the budget looks this far ahead. */
  orderPollIntervalMs: number;
  /** After a create_order, how long to look for the new order in the order book before giving up. */
  orderLookupMs: number;
  /**
   * Past orderLookupMs, how long to wait for an order snapshot whose my_orders call began after the
   * look-up did, before concluding that no order was made (docs/decisions/0051).
   */
  freshSnapshotWaitMs: number;
  /**
   * How long a server that refused an order is left alone by every job of the deployment (its claim
   * is kept under a `refused:` holder): the listing does not show offline servers as offline, and
   * without this each new job spent a create_order slot (5 s) on the same refusing server.
   */
  refusedServerMs: number;
  /** OUTPUTS_MAX_BYTES. */
  outputsMaxBytes: number;
  /** DATA_DIR: the workdir uploads are read from `<dataDir>/uploads` (docs/decisions/0137). */
  dataDir: string;
  /** WORKER_KILL_GRACE_SECONDS: SIGTERM → SIGKILL on timeout and stop. */
  killGraceSeconds: number;
  /** How often to re-read the record for a cancel (besides live notifications). */
  cancelPollMs: number;
  /** First and largest pause between SSH connection attempts. */
  sshRetryMs: { initial: number; max: number };
  /** Pause at the end of the remote log before reading again. */
  logPollMs: number;
  /** Reconnects to a running command are given up after this long without progress. */
  reconnectWindowMs: number;
  /** Release: how long to wait for the watcher to see the order end before asking again. */
  releaseConfirmMs: number;
  /** Parent of the per-attempt job directories on servers. */
  remoteRoot: string;
  /**
   * SPEND_UNVERIFIED_MAX_SECONDS: an order whose spend goes unverified this long is cancelled and
   * the attempt ends `spend_unverified` (docs/decisions/0115).
   */
  spendUnverifiedMaxMs: number;
  /** MARKETPLACE_MAX_AGE_SECONDS: selection refuses an older marketplace snapshot. */
  marketplaceMaxAgeMs: number;
  /** How long the spend watch keeps the exchange rates it read (the marketplace snapshot is large). */
  ratesMaxAgeMs: number;
  /**
   * TTL of a run's job lease (docs/decisions/0120); the worker sets WORKER_LOCK_DURATION_MS, so a
   * job's lease and its BullMQ lock lapse together. Default 30 s.
   */
  leaseMs?: number;
}

/**
 * The provider's creation fees (packages/clore `createFeeBook(client)`):
 * the fee of one order, in the currency's units, or undefined when the API does not say.
 */
export interface CreationFees {
  creationFee(currency: string, orderType: 'on-demand' | 'spot'): Promise<number | undefined>;
}

export interface LifecycleDeps {
  store: JobStore;
  client: CloreClient;
  fleet: FleetViews;
  /** Seals and opens per-job SSH keys and the job's secretEnv. */
  secretKey: SecretKey;
  /** A connected client, for the lifecycle's own small keys (log bases). */
  redis: Redis;
  /** REDIS_PREFIX. */
  prefix: string;
  logger: Logger;
  telemetry?: TelemetryCounters;
  settings: LifecycleSettings;
  /**
   * Cancel an order straight at the provider, without Redis (no cancel queue, no shared limiter):
   * only for a money stop whose decision cannot be stored (end-attempt.ts, docs/decisions/0124).
   */
  cancelNow?: (orderId: number) => Promise<void>;
  /** The provider's creation fees for the pre-rent cost check; without it the fee is estimated. */
  fees?: CreationFees;
}

export const DEFAULT_SETTINGS: Omit<
  LifecycleSettings,
  | 'provisionTimeoutMs'
  | 'claimTtlMs'
  | 'orderPollIntervalMs'
  | 'outputsMaxBytes'
  | 'killGraceSeconds'
  | 'dataDir'
> = {
  orderLookupMs: 60_000,
  freshSnapshotWaitMs: 30_000,
  refusedServerMs: 5 * 60_000,
  cancelPollMs: 2_000,
  sshRetryMs: { initial: 500, max: 10_000 },
  logPollMs: 250,
  reconnectWindowMs: 5 * 60_000,
  releaseConfirmMs: 30_000,
  remoteRoot: '/root/.clore-batch',
  spendUnverifiedMaxMs: 60_000,
  marketplaceMaxAgeMs: 120_000,
  ratesMaxAgeMs: 60_000,
};

import {
  classifyCloreError,
  cloreClientFromConfig,
  cloreLimiterFromConfig,
  createFeeBook,
} from '@clore-batch/clore';
import {
  AppError,
  type Config,
  createBullRedis,
  createJobStore,
  createTelemetryCounters,
  type DeepReadonly,
  deriveSecretKey,
  forComponent,
  type JobStore,
  type Logger,
  METRICS,
} from '@clore-batch/shared';
import { createFleet, type Fleet } from '../fleet/create-fleet';
import type { FleetSettings } from '../fleet/fleet-settings';
import { attemptLiveness } from '../lifecycle/attempt-liveness';
import { DEFAULT_SETTINGS, type LifecycleSettings } from '../lifecycle/deps';
import { countStrayOrders } from '../lifecycle/stray-orders';
import { countingFetch } from './counting-fetch';
import { createWorker, type LifecycleWorker } from './create-worker';
import type { DispatchSettings } from './dispatch';

export interface StartWorkerOptions {
  config: DeepReadonly<Config>;
  logger: Logger;
  /** Overrides of the lifecycle's derived timings (tests). */
  settings?: Partial<LifecycleSettings>;
  /** Overrides of the fleet's derived timings (tests). */
  fleetSettings?: Partial<FleetSettings>;
  /** Wraps the job store the lifecycle uses (tests inject store failures). */
  wrapStore?: (store: JobStore) => JobStore;
  /** Overrides of the fair-share dispatch's timings (tests). */
  dispatch?: Partial<DispatchSettings>;
}

export interface RunningWorker {
  worker: LifecycleWorker;
  fleet: Fleet;
  store: JobStore;
  /** Stop taking jobs (running ones are left to be resumed), stop the fleet, close every connection. */
  close(): Promise<void>;
}

/** The lifecycle's timings from config (tests may override any of them). */
export function lifecycleSettings(
  config: DeepReadonly<Config>,
  overrides: Partial<LifecycleSettings> = {},
): LifecycleSettings {
  const poll = config.ORDER_POLL_INTERVAL_MS;
  return {
    ...DEFAULT_SETTINGS,
    provisionTimeoutMs: config.PROVISION_TIMEOUT_SECONDS * 1000,
    claimTtlMs: config.SERVER_CLAIM_TTL_SECONDS * 1000,
    orderPollIntervalMs: poll,
    outputsMaxBytes: config.OUTPUTS_MAX_BYTES,
    dataDir: config.DATA_DIR,
    killGraceSeconds: config.WORKER_KILL_GRACE_SECONDS,
    orderLookupMs: Math.max(10 * poll, 5_000),
    releaseConfirmMs: Math.max(10 * poll, 10_000),
    cancelPollMs: Math.min(2_000, Math.max(poll, 250)),
    spendUnverifiedMaxMs: config.SPEND_UNVERIFIED_MAX_SECONDS * 1000,
    marketplaceMaxAgeMs: config.MARKETPLACE_MAX_AGE_SECONDS * 1000,
    ...overrides,
  };
}

/**
 * Build and start a whole worker process from config: Redis, the Clore client with the shared
 * limiter and call counting, the job store, the fleet (leader election, order watcher, reaper),
 * and the BullMQ worker. main.ts uses it; so can tests, the CLI's sandbox and
 * the benchmarks, to run workers in-process.
 */
export async function startWorker(options: StartWorkerOptions): Promise<RunningWorker> {
  const { config } = options;
  if (config.CLORE_API_KEY === undefined) {
    throw new AppError('CONFIG_INVALID', 'CLORE_API_KEY is required to run a worker');
  }
  const log = forComponent(options.logger, 'worker');
  const redis = createBullRedis(config, { lazyConnect: false });
  redis.on('error', (error) => log.warn({ error: error.message }, 'Redis connection error'));
  const prefix = config.REDIS_PREFIX;
  const telemetry = createTelemetryCounters(redis, prefix);
  const limiter = cloreLimiterFromConfig(config, {
    redis,
    logger: options.logger,
    onAcquire: ({ lane, waitedMs }) => {
      void telemetry.add(METRICS.limiterWait, { lane }, waitedMs / 1000);
    },
  });
  const client = cloreClientFromConfig(config, {
    limiter,
    logger: options.logger,
    fetch: countingFetch(telemetry),
  });
  const store = createJobStore({
    redis,
    prefix,
    dataDir: config.DATA_DIR,
    logTailBytes: config.LOG_TAIL_BYTES,
    logMaxBytes: config.LOG_MAX_BYTES,
  });
  const fleet = createFleet({
    redis,
    prefix,
    client,
    logger: options.logger,
    telemetry,
    liveness: attemptLiveness(store),
    onOrphanEnded: countStrayOrders({
      store,
      rates: async () => (await fleet.marketplace.get()).usdRates,
      logger: options.logger,
    }),
    settings: {
      pollIntervalMs: config.ORDER_POLL_INTERVAL_MS,
      idlePollIntervalMs: config.ORDER_IDLE_POLL_INTERVAL_MS,
      quietPollIntervalMs: config.ORDER_QUIET_POLL_INTERVAL_MS,
      marketplaceRefreshMs: config.MARKETPLACE_REFRESH_MS,
      reaperGraceMs: config.REAPER_GRACE_SECONDS * 1000,
      exclusiveKey: config.CLORE_KEY_EXCLUSIVE,
      ...options.fleetSettings,
    },
  });
  await fleet.start();
  const worker = createWorker({
    store: options.wrapStore?.(store) ?? store,
    client,
    fleet,
    // A money stop that Redis cannot record cancels its order straight away (decision 0124): a
    // client without the shared limiter (which lives in Redis too), one call, its own retries.
    cancelNow: async (orderId: number) => {
      const direct = cloreClientFromConfig(config, {
        logger: options.logger,
        fetch: countingFetch(telemetry),
      });
      await direct.cancelOrder({ id: orderId, issue: 'clore-batch: budget stop' }).catch((error: unknown) => {
        // Already ended: nothing bills.
        if (classifyCloreError(error).action !== 'already_done') {
          throw error;
        }
      });
    },
    // The provider's creation fees (renter_fees), cached: the pre-rent cost check uses them.
    fees: createFeeBook(client, { ttlMs: 10 * 60_000, logger: options.logger }),
    secretKey: deriveSecretKey(config.SECRETS_KEY),
    redis,
    prefix,
    logger: options.logger,
    telemetry,
    settings: lifecycleSettings(config, options.settings),
    connection: redis,
    concurrency: config.WORKER_CONCURRENCY,
    lockDurationMs: config.WORKER_LOCK_DURATION_MS,
    tenantLimits: config.TENANT_LIMITS,
    ...(options.dispatch === undefined ? {} : { dispatch: options.dispatch }),
  });
  log.info({ concurrency: config.WORKER_CONCURRENCY, fleetId: fleet.id }, 'worker started');
  let closing: Promise<void> | undefined;
  return {
    worker,
    fleet,
    store,
    close() {
      closing ??= (async () => {
        await worker.close();
        await fleet.stop();
        await limiter.close();
        await store.close();
        await redis.quit().catch(() => redis.disconnect());
        log.info('worker stopped');
      })();
      return closing;
    },
  };
}

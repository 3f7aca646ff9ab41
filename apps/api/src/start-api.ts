import {
  bullPrefix,
  type Config,
  createBullRedis,
  createJobStore,
  createLogger,
  createRedis,
  type DeepReadonly,
  JOBS_QUEUE,
  type Logger,
  WEBHOOKS_QUEUE,
} from '@clore-batch/shared';
import { Queue, type Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app';
import type { ApiPlugin } from './deps';
import { type RetentionSweep, startRetentionSweep } from './retention/retention-sweep';
import { startUploadSweep, type UploadSweep } from './retention/upload-sweep';
import { type EnqueueSweep, startEnqueueSweep } from './submission/enqueue-sweep';
import type { Resolver } from './webhooks/address-policy';
import { startWebhookOutbox, type WebhookOutbox } from './webhooks/webhook-outbox';
import { createWebhookWorker } from './webhooks/webhook-worker';

export interface StartApiOptions {
  logger?: Logger;
  /** Listen here instead of config HOST/PORT (the CLI sandbox passes port 0). */
  host?: string;
  port?: number;
  plugins?: ReadonlyArray<ApiPlugin>;
  /** Start the webhook sender: the outbox drainer and the delivery worker (default true). */
  webhooks?: boolean;
  /** DNS for webhook checks (tests). */
  resolve?: Resolver;
}

export interface RunningApi {
  app: FastifyInstance;
  /** `http://host:port` it listens on. */
  url: string;
  sweep: EnqueueSweep;
  /** The retention sweep (JOB_RETENTION_SECONDS; docs/decisions/0133). */
  retention: RetentionSweep;
  /** The upload sweep: workdir uploads unused for JOB_RETENTION_SECONDS (docs/decisions/0137). */
  uploads: UploadSweep;
  /** Stops listening, the webhook sender and the sweep, and closes every connection it opened. */
  close(): Promise<void>;
}

/**
 * The API with everything it needs, listening: Redis clients, the job store, the queues, the
 * webhook sender (the outbox drainer that raises every terminal state's webhook, and the delivery
 * worker), the enqueue sweep, the retention sweep and the upload sweep. main.ts and the CLI's sandbox use this.
 */
export async function startApi(
  config: DeepReadonly<Config>,
  options: StartApiOptions = {},
): Promise<RunningApi> {
  const logger = options.logger ?? createLogger({ level: config.LOG_LEVEL, base: { service: 'api' } });
  const redis = createRedis(config, { maxRetriesPerRequest: 3 });
  const bull = createBullRedis(config);
  const workerConnection = createBullRedis(config);
  for (const client of [redis, bull, workerConnection]) {
    // Reconnections (a restart, a Sentinel failover) are logged, not "Unhandled error event".
    client.on('error', (error: Error) => logger.warn({ error: error.message }, 'Redis connection error'));
  }
  const prefix = bullPrefix(config.REDIS_PREFIX);
  const store = createJobStore({
    redis,
    prefix: config.REDIS_PREFIX,
    dataDir: config.DATA_DIR,
    logTailBytes: config.LOG_TAIL_BYTES,
  });
  const queue = new Queue(JOBS_QUEUE, { connection: bull, prefix });
  const webhookQueue = new Queue(WEBHOOKS_QUEUE, { connection: bull, prefix });
  let worker: Worker | undefined;
  let outbox: WebhookOutbox | undefined;
  let app: FastifyInstance | undefined;
  let sweep: EnqueueSweep | undefined;
  let retention: RetentionSweep | undefined;
  let uploads: UploadSweep | undefined;
  const close = async () => {
    await app?.close();
    await sweep?.stop();
    await retention?.stop();
    await uploads?.stop();
    await outbox?.stop();
    await worker?.close();
    await queue.close();
    await webhookQueue.close();
    await store.close();
    await Promise.all(
      [redis.quit(), bull.quit(), workerConnection.quit()].map((p) => p.catch(() => undefined)),
    );
  };
  try {
    app = await buildApp({
      config,
      logger,
      redis,
      store,
      queue,
      webhookQueue,
      ...(options.plugins ? { plugins: options.plugins } : {}),
    });
    if (options.webhooks !== false) {
      worker = createWebhookWorker({
        config,
        logger,
        store,
        webhookQueue,
        connection: workerConnection,
        ...(options.resolve ? { resolve: options.resolve } : {}),
      });
      outbox = await startWebhookOutbox({ store, webhookQueue, logger });
    }
    sweep = startEnqueueSweep({ store, queue, logger, intervalMs: config.API_ENQUEUE_SWEEP_MS });
    const retentionMs = config.JOB_RETENTION_SECONDS * 1_000;
    retention = startRetentionSweep({
      store,
      redis,
      prefix: config.REDIS_PREFIX,
      queue,
      webhookQueue,
      logger,
      retentionMs,
      intervalMs: Math.min(60_000, Math.max(1_000, retentionMs / 10)),
      webhookMaxAttempts: config.WEBHOOK_MAX_ATTEMPTS,
    });
    uploads = startUploadSweep({
      dataDir: config.DATA_DIR,
      logger,
      retentionMs,
      intervalMs: Math.min(60_000, Math.max(1_000, retentionMs / 10)),
    });
    const url = await app.listen({ host: options.host ?? config.HOST, port: options.port ?? config.PORT });
    logger.info({ url }, 'api listening');
    return { app, url, sweep, retention, uploads, close };
  } catch (error) {
    await close();
    throw error;
  }
}

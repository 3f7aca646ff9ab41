import {
  backoffMs,
  bullPrefix,
  type Config,
  type DeepReadonly,
  forComponent,
  hasErrorCode,
  type JobStore,
  type Logger,
  toPublicJob,
  WEBHOOKS_QUEUE,
  type WebhookPayload,
} from '@clore-batch/shared';
import { type Job, type Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Resolver } from './address-policy';
import { enqueueWebhook } from './enqueue-webhook';
import { postWebhook } from './post-webhook';
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER, tenantWebhookKey, webhookKey } from './signature';

export interface WebhookWorkerDeps {
  config: DeepReadonly<Config>;
  logger: Logger;
  store: JobStore;
  /** The WEBHOOKS_QUEUE queue: retries are added to it as delayed jobs. */
  webhookQueue: Queue;
  /** A BullMQ connection (maxRetriesPerRequest: null); the caller closes it after the worker. */
  connection: Redis;
  resolve?: Resolver;
  now?: () => Date;
}

type DeliverPayload = WebhookPayload & { attempt?: number };

/** The longest pause between two delivery attempts. */
const MAX_BACKOFF_MS = 3_600_000;

/**
 * Delivers `{ jobId, state }` requests from WEBHOOKS_QUEUE: POSTs the public job JSON to its
 * `webhookUrl`, signed with the job owner's key (signature.ts `tenantWebhookKey`), and records every attempt on the job (`webhookDeliveries`).
 * A failed attempt (network error, timeout, non-2xx) is retried as a new delayed BullMQ job with
 * exponential backoff, up to WEBHOOK_MAX_ATTEMPTS in all; the processor itself does not throw for
 * a failed delivery, so whatever options the producer gave do not multiply the attempts.
 */
export function createWebhookWorker(deps: WebhookWorkerDeps): Worker {
  const { config, store } = deps;
  const log = forComponent(deps.logger, 'webhooks');
  const masterKey = webhookKey(config.WEBHOOK_SECRET, config.SECRETS_KEY);
  const now = deps.now ?? (() => new Date());

  async function deliver(job: Job<DeliverPayload>): Promise<void> {
    const { jobId, state } = job.data;
    const attempt = job.data.attempt ?? 1;
    let record: Awaited<ReturnType<JobStore['get']>>;
    try {
      record = await store.get(jobId);
    } catch (error) {
      if (hasErrorCode(error) && error.code === 'JOB_NOT_FOUND') {
        log.warn({ jobId }, 'webhook for a job that no longer exists: dropped');
        return;
      }
      throw error;
    }
    const url = record.spec.webhookUrl;
    if (url === undefined) {
      return;
    }
    const body = JSON.stringify({ event: 'job.finished', state, job: toPublicJob(record) });
    const timestamp = Math.floor(now().getTime() / 1_000);
    const result = await postWebhook({
      url,
      body,
      headers: {
        [TIMESTAMP_HEADER]: String(timestamp),
        [SIGNATURE_HEADER]: signWebhook(tenantWebhookKey(masterKey, record.owner), timestamp, body),
        'user-agent': 'clore-batch-webhooks/0.1',
      },
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      refusePrivate: !config.WEBHOOK_ALLOW_PRIVATE,
      ...(deps.resolve ? { resolve: deps.resolve } : {}),
    });
    const ok = result.status !== undefined && result.status >= 200 && result.status < 300;
    const retry = !ok && attempt < config.WEBHOOK_MAX_ATTEMPTS;
    if (retry) {
      // Queue the retry before recording: a crash in between repeats a record, never loses a retry.
      await enqueueWebhook(
        deps.webhookQueue,
        { jobId, state },
        attempt + 1,
        backoffMs(attempt, config.WEBHOOK_BACKOFF_MS, MAX_BACKOFF_MS),
      );
    }
    await store.update(jobId, (draft) => {
      draft.webhookDeliveries.push({
        at: now().toISOString(),
        attempt,
        ...(result.status === undefined ? {} : { status: result.status }),
        ...(result.error === undefined ? {} : { error: result.error }),
      });
    });
    const outcome = ok ? 'delivered' : retry ? 'failed, will retry' : 'failed, giving up';
    log.info(
      { jobId, state, attempt, status: result.status, error: result.error },
      `webhook attempt ${attempt} of ${config.WEBHOOK_MAX_ATTEMPTS}: ${outcome}`,
    );
  }

  return new Worker<DeliverPayload>(WEBHOOKS_QUEUE, deliver, {
    connection: deps.connection,
    prefix: bullPrefix(config.REDIS_PREFIX),
    concurrency: 8,
  });
}

/**
 * The BullMQ queues every process agrees on. Payloads carry ids only: the job record in the store is
 * the truth, so a payload can never disagree with it.
 */
export const JOBS_QUEUE = 'jobs';
export const WEBHOOKS_QUEUE = 'webhooks';

/** The BullMQ key prefix under the deployment's REDIS_PREFIX. */
export function bullPrefix(redisPrefix: string): string {
  return `${redisPrefix}:bull`;
}

export interface RunJobPayload {
  jobId: string;
}

export interface WebhookPayload {
  jobId: string;
  /** The terminal state the hook reports (a job is reported once per terminal state). */
  state: string;
}

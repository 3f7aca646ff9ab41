import type { KeyEntry } from '../keys/key-entry';

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

/** The registry lines of BullMQ's keys: its own layout below `<bullPrefix>:<queue>:`. */
export const BULL_KEY_ENTRIES: readonly KeyEntry[] = [JOBS_QUEUE, WEBHOOKS_QUEUE].map((queue) => ({
  pattern: `bull:${queue}:<rest>`,
  type: 'bullmq',
  content: `BullMQ's keys of the ${queue} queue (jobs, states, events, locks)`,
}));

export interface RunJobPayload {
  jobId: string;
}

export interface WebhookPayload {
  jobId: string;
  /** The terminal state the hook reports (a job is reported once per terminal state). */
  state: string;
}

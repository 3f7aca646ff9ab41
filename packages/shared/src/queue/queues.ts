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

/** The REDIS_PREFIX a BullMQ prefix was made from (`bullPrefix` backwards). */
export function redisPrefixOfBull(prefix: string): string {
  if (!prefix.endsWith(':bull')) {
    throw new Error(`${JSON.stringify(prefix)} is not a BullMQ prefix made by bullPrefix()`);
  }
  return prefix.slice(0, -':bull'.length);
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

/** BullMQ keeps finished `run` jobs this long (the store keeps the job itself). */
const KEEP_FINISHED = { age: 7 * 24 * 3_600, count: 10_000 };

/** The part of a BullMQ Queue `addRun` uses (packages/shared does not depend on BullMQ). */
export interface RunQueue {
  add(
    name: 'run',
    data: RunJobPayload,
    opts: { jobId: string; removeOnComplete: typeof KEEP_FINISHED; removeOnFail: typeof KEEP_FINISHED },
  ): Promise<unknown>;
}

/**
 * Add the `run` job of one clore-batch job to JOBS_QUEUE. BullMQ's jobId is the job's own id, so
 * adding twice while the first is still in BullMQ adds nothing.
 */
export async function addRun(queue: RunQueue, jobId: string): Promise<void> {
  await queue.add('run', { jobId }, { jobId, removeOnComplete: KEEP_FINISHED, removeOnFail: KEEP_FINISHED });
}

export interface WebhookPayload {
  jobId: string;
  /** The terminal state the hook reports (a job is reported once per terminal state). */
  state: string;
}

import {
  addRun,
  createFairQueue,
  type FairJob,
  type FairQueue,
  redisPrefixOfBull,
} from '@clore-batch/shared';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';

/**
 * Enqueue one clore-batch job: its BullMQ `run` job (jobId = the job's id, so enqueueing twice while
 * the first is still in BullMQ adds nothing), then its place in its tenant's ready set of the
 * fair-share dispatch (docs/decisions/0131), which lives beside the queue: the same connection and
 * REDIS_PREFIX. The worker treats the store as the truth and ignores a `run` for a job that is no
 * longer queued; a job it takes that never entered the ready set is decided all the same.
 */
export async function enqueueRun(queue: Queue, job: FairJob): Promise<void> {
  await addRun(queue, job.id);
  await fairQueueOf(queue).enter(job);
}

/** The fair-share dispatch beside `queue` (its connection must be an ioredis client, as ours are). */
export function fairQueueOf(queue: Queue): FairQueue {
  const { connection, prefix } = queue.opts;
  if (!(connection instanceof Redis) || prefix === undefined) {
    throw new Error('the jobs queue must be built on an ioredis client with bullPrefix(REDIS_PREFIX)');
  }
  return createFairQueue(connection, redisPrefixOfBull(prefix));
}

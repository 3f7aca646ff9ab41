import type { RunJobPayload } from '@clore-batch/shared';
import type { Queue } from 'bullmq';

/** BullMQ keeps finished `run` jobs this long (the store keeps the job itself). */
const KEEP_FINISHED = { age: 7 * 24 * 3_600, count: 10_000 };

/**
 * Enqueue one clore-batch job. BullMQ's jobId is the job's own id, so enqueueing twice while the
 * first is still in BullMQ adds nothing. The worker treats the store as the truth and ignores a
 * `run` for a job that is no longer queued.
 */
export async function enqueueRun(queue: Queue, jobId: string): Promise<void> {
  const payload: RunJobPayload = { jobId };
  await queue.add('run', payload, { jobId, removeOnComplete: KEEP_FINISHED, removeOnFail: KEEP_FINISHED });
}

import { errorCodeOf, isTerminal, type JobStore } from '@clore-batch/shared';
import type { AttemptLiveness } from '../fleet/fleet-types';

/**
 * The reaper's question, answered from the job store: does a live attempt still own this intent?
 * Live: the job is not terminal and the attempt is its open one (not yet released), or the attempt
 * about to be recorded while the job provisions with no other attempt open (an intent written just
 * before create_order). An order id, when both sides know one, must match. A job that no longer exists owns nothing.
 */
export function attemptLiveness(store: JobStore): AttemptLiveness {
  return async (jobId, attemptNumber, orderId) => {
    let job: Awaited<ReturnType<JobStore['get']>>;
    try {
      job = await store.get(jobId);
    } catch (error) {
      if (errorCodeOf(error) === 'JOB_NOT_FOUND' || errorCodeOf(error) === 'VALIDATION_FAILED') {
        return false;
      }
      throw error;
    }
    if (isTerminal(job.state)) {
      return false;
    }
    const attempt = job.attempts.find((a) => a.n === attemptNumber);
    if (attempt === undefined) {
      const last = job.attempts.at(-1);
      return (
        attemptNumber === job.attempts.length + 1 &&
        (last === undefined || last.endedAt !== undefined) &&
        (job.state === 'provisioning' || job.state === 'queued')
      );
    }
    if (attempt.endedAt !== undefined) {
      return false;
    }
    return orderId === undefined || attempt.orderId === undefined || attempt.orderId === orderId;
  };
}

import type { JobRecord } from '@clore-batch/shared';
import { UnrecoverableError } from 'bullmq';

/**
 * The reason BullMQ (and so bull-board) records for a job that ended failed or cancelled: the state,
 * the failure reason and exit code when there is one, and the record's last message.
 */
export function bullFailedReason(job: Pick<JobRecord, 'state' | 'reason' | 'exitCode' | 'message'>): string {
  const why = [job.reason, job.exitCode === undefined ? undefined : `exit code ${job.exitCode}`]
    .filter((part) => part !== undefined)
    .join(', ');
  return `${job.state}${why === '' ? '' : ` (${why})`}${job.message ? `: ${job.message}` : ''}`;
}

/**
 * Settle the BullMQ job of a job whose record is terminal (docs/decisions/0146). Succeeded: the
 * processor returns `{ state }` and BullMQ marks it completed. Failed or cancelled: it throws an
 * UnrecoverableError, so BullMQ marks it failed with the reason and never retries it (the `run` job
 * has one attempt anyway). Only BullMQ's bookkeeping differs: the record, its webhooks and its
 * orders were settled before this, by the job state machine.
 */
export function settleInBull(final: JobRecord): { state: JobRecord['state'] } {
  if (final.state === 'failed' || final.state === 'cancelled') {
    throw new UnrecoverableError(bullFailedReason(final));
  }
  return { state: final.state };
}

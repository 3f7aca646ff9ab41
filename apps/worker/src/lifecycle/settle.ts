import { type Attempt, afterAttemptFailure, type FailureReason, isFailureReason } from '@clore-batch/shared';
import type { JobRun } from './job-run';

/** Whether the job's last state event is a `retry` written after this attempt ended. */
function retriedAfter(run: JobRun, attempt: Attempt): boolean {
  const last = [...run.job.events].reverse().find((e) => e.type === 'state');
  return last?.event === 'retry' && attempt.endedAt !== undefined && last.at >= attempt.endedAt;
}

/**
 * After an attempt has ended and its order is released: the job's next state, from the attempt's
 * persisted end reason and the retry policy over the record (so a resumed worker decides the same).
 * Returns true when the job goes on with a new attempt.
 */
export async function settle(run: JobRun, attempt: Attempt): Promise<boolean> {
  const { job } = run;
  const reason = attempt.endReason;
  const message = `attempt ${attempt.n}`;
  if (reason === 'completed') {
    if (job.state === 'collecting' && job.exitCode === 0) {
      await run.transition('succeed');
    } else {
      await run.transition('fail', {
        reason: 'command_failed',
        message: `the command exited with code ${String(job.exitCode)}`,
      });
    }
    return false;
  }
  if (reason === 'cancelled') {
    await run.transition('cancel', { message: 'cancelled by its owner; the server was released' });
    return false;
  }
  if (retriedAfter(run, attempt)) {
    return true; // decided and written before a restart
  }
  const failure: FailureReason = reason !== undefined && isFailureReason(reason) ? reason : 'internal';
  if (afterAttemptFailure(job, failure) === 'retry') {
    await run.transition('retry', { reason: failure });
    return true;
  }
  const last = [...job.events]
    .reverse()
    .find((e) => e.type === 'info' && e.message.startsWith(`${message} ended`));
  await run.transition('fail', {
    reason: failure,
    ...(last === undefined ? {} : { message: `the job failed: ${last.message}` }),
  });
  return false;
}

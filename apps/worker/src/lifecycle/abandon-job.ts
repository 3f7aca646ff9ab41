import { isTerminal } from '@clore-batch/shared';
import type { LifecycleDeps } from './deps';
import { endAttempt } from './end-attempt';
import { JobRun } from './job-run';

/**
 * The last resort after the driver kept failing on something it cannot map (Redis errors, a bug):
 * release the open attempt's order and fail the job `internal`, so nothing keeps billing under a job
 * no worker will pick up again. Best effort; throws when even this fails.
 */
export async function abandonJob(
  deps: LifecycleDeps,
  jobId: string,
  cause: unknown,
  stopSignal: AbortSignal,
): Promise<void> {
  const run = await JobRun.open(deps, jobId, stopSignal);
  try {
    const job = await run.refresh();
    const last = job.attempts.at(-1);
    if (last !== undefined && last.endedAt === undefined) {
      await endAttempt(
        run,
        last,
        last.endReason ?? 'internal',
        `abandoned: ${(cause as Error).message ?? String(cause)}`,
      );
    }
    if (!isTerminal(run.job.state)) {
      await run.transition('fail', {
        reason: 'internal',
        message: `the job failed: the worker could not run it (${(cause as Error).message ?? String(cause)})`,
      });
    }
  } finally {
    await run.close();
  }
}

import type { Attempt } from '@clore-batch/shared';
import { readStatus } from '../remote/read-status';
import { removeJobDir } from '../remote/remove-job-dir';
import { stopCommand } from '../remote/stop-command';
import { streamLog } from '../remote/stream-log';
import { openAttemptLog } from './attempt-log';
import { connectAttempt } from './connect-attempt';
import type { JobRun } from './job-run';

/**
 * Best effort before a release (cancel, budget): SIGTERM the command's process group, SIGKILL
 * after the grace period, then store the rest of its log. Never throws: the release that follows
 * ends the command anyway.
 */
export async function stopRemote(
  run: JobRun,
  attempt: Attempt,
  options: { connectMs?: number } = {},
): Promise<void> {
  if (attempt.readyAt === undefined || attempt.remoteDir === undefined) {
    return;
  }
  const { deps } = run;
  const jobDir = attempt.remoteDir;
  const graceMs = deps.settings.killGraceSeconds * 1000;
  const signal = AbortSignal.any([run.stopSignal, AbortSignal.timeout(graceMs + 30_000)]);
  try {
    const session = await connectAttempt(run, attempt, Date.now() + (options.connectMs ?? 10_000), signal);
    try {
      const status = await readStatus(session, jobDir);
      if (!status.started) {
        return;
      }
      const final = await stopCommand(session, jobDir, { graceMs, settleMs: 10_000 });
      run.log.info({ exitCode: final.exitCode, stopped: final.stopped }, 'command stopped');
      if (final.exitCode !== undefined) {
        const log = await openAttemptLog(run, attempt);
        const result = await streamLog(session, { jobDir, fromOffset: log.from, signal, onChunk: log.write });
        await log.end(result.endOffset);
        await deps.store.attemptLogOffset(run.id, attempt.n, result.endOffset);
      }
    } finally {
      await session.close();
    }
  } catch (error) {
    run.log.warn(
      { error: (error as Error).message },
      'could not stop the command cleanly; the release ends it',
    );
  }
}

/**
 * Best effort, once the attempt is decided: delete its job directory (log, markers, scripts) on the
 * server. The release destroys a real server's container anyway; this keeps shared hosts clean.
 */
export async function removeRemote(run: JobRun, attempt: Attempt): Promise<void> {
  if (attempt.readyAt === undefined || attempt.remoteDir === undefined) {
    return;
  }
  try {
    const session = await connectAttempt(run, attempt, Date.now() + 10_000, run.stopSignal);
    try {
      await removeJobDir(session, attempt.remoteDir);
    } finally {
      await session.close();
    }
  } catch (error) {
    run.log.warn({ error: (error as Error).message }, 'could not remove the job directory on the server');
  }
}

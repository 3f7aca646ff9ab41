import type { Attempt } from '@clore-batch/shared';
import { followCommand } from '../remote/follow-command';
import { startCommand } from '../remote/start-command';
import type { CommandResult } from '../remote/stream-log';
import { openAttemptLog } from './attempt-log';
import { connectAttempt } from './connect-attempt';
import type { JobRun } from './job-run';
import { openSecretEnv } from './job-secrets';

/**
 * Start the command detached on the server (once per attempt, even across worker restarts) and
 * stream its output, masked, into the job's log from the stored cursor (attempt-log.ts),
 * reconnecting after drops, until it has ended and every byte is stored.
 */
export async function runCommand(run: JobRun, attempt: Attempt): Promise<CommandResult> {
  const { deps } = run;
  const { spec } = run.job;
  const jobDir = attempt.remoteDir as string;
  const connect = (windowMs: number) => connectAttempt(run, attempt, Date.now() + windowMs, run.signal);

  const first = await connect(deps.settings.reconnectWindowMs);
  try {
    const env = { ...spec.env, ...(await openSecretEnv(deps, run.id)) };
    const started = await startCommand(first, {
      jobDir,
      command: spec.command,
      env,
      timeoutSeconds: spec.timeoutSeconds,
      killGraceSeconds: deps.settings.killGraceSeconds,
    });
    run.log.info(
      { attempt: attempt.n, jobDir, launched: started.launched },
      started.launched ? 'command started' : 'command was already started: following it',
    );
  } finally {
    await first.close();
  }

  const log = await openAttemptLog(run, attempt);
  let saved = attempt.logOffset ?? 0;
  let savedAt = Date.now();
  const save = async (offset: number) => {
    saved = offset;
    savedAt = Date.now();
    await deps.store.attemptLogOffset(run.id, attempt.n, offset);
  };
  const result = await followCommand({
    connect: () => connect(30_000),
    jobDir,
    fromOffset: log.from,
    signal: run.signal,
    pollIntervalMs: deps.settings.logPollMs,
    livenessIntervalMs: Math.max(1_000, deps.settings.logPollMs * 8),
    reconnectWindowMs: deps.settings.reconnectWindowMs,
    reconnectDelayMs: deps.settings.sshRetryMs.initial,
    onChunk: async (position, data) => {
      await log.write(position, data);
      if (Date.now() - savedAt >= 1_000) {
        await save(position + data.length);
      }
    },
    onReconnect: ({ offset, attempt: n, error }) => {
      run.log.warn(
        { offset, reconnect: n, error: error.message },
        'SSH dropped while streaming the log; reconnecting',
      );
    },
  });
  await log.end(result.endOffset);
  if (result.endOffset !== saved) {
    await save(result.endOffset);
  }
  run.log.info(
    { ...result },
    `command ended with exit code ${result.exitCode}${result.timedOut ? ' (timed out)' : ''}`,
  );
  return result;
}

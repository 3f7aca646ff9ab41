import { type Attempt, redisKeys } from '@clore-batch/shared';
import { followCommand } from '../remote/follow-command';
import { startCommand } from '../remote/start-command';
import type { CommandResult } from '../remote/stream-log';
import { connectAttempt } from './connect-attempt';
import type { JobRun } from './job-run';
import { openSecretEnv } from './job-secrets';

const LOG_BASE_TTL_SECONDS = 30 * 24 * 3_600;

/** The Redis key of attempt `n`'s log base (see logBase). */
export function logBaseKey(prefix: string, jobId: string, n: number): string {
  return redisKeys(prefix).logBase(jobId, n);
}

/**
 * Where byte 0 of this attempt's remote log sits in the job's log: the job's log size when the
 * attempt first ran its command, fixed once (SET NX) so a resumed worker appends at the same place
 * and the store's positional append drops what was already stored.
 */
async function logBase(run: JobRun, n: number): Promise<number> {
  const key = logBaseKey(run.deps.prefix, run.id, n);
  const size = await run.deps.store.logSize(run.id);
  await run.deps.redis.set(key, String(size), 'EX', LOG_BASE_TTL_SECONDS, 'NX');
  return Number(await run.deps.redis.get(key));
}

/**
 * Start the command detached on the server (once per attempt, even across worker restarts) and
 * stream its output into the job's log from the persisted offset, reconnecting after drops, until
 * it has ended and every byte is stored.
 */
export async function runCommand(run: JobRun, attempt: Attempt): Promise<CommandResult> {
  const { deps } = run;
  const { spec } = run.job;
  const jobDir = attempt.remoteDir as string;
  const base = await logBase(run, attempt.n);
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
    fromOffset: saved,
    signal: run.signal,
    pollIntervalMs: deps.settings.logPollMs,
    livenessIntervalMs: Math.max(1_000, deps.settings.logPollMs * 8),
    reconnectWindowMs: deps.settings.reconnectWindowMs,
    reconnectDelayMs: deps.settings.sshRetryMs.initial,
    onChunk: async (position, data) => {
      await deps.store.appendLog(run.id, base + position, data);
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
  if (result.endOffset !== saved) {
    await save(result.endOffset);
  }
  run.log.info(
    { ...result },
    `command ended with exit code ${result.exitCode}${result.timedOut ? ' (timed out)' : ''}`,
  );
  return result;
}

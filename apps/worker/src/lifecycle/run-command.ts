import { type Attempt, touchUpload, uploadPath } from '@clore-batch/shared';
import { followCommand } from '../remote/follow-command';
import { pushWorkdir } from '../remote/push-workdir';
import type { SshSession } from '../remote/ssh-session';
import { startCommand } from '../remote/start-command';
import type { CommandResult } from '../remote/stream-log';
import { openAttemptLog } from './attempt-log';
import { connectAttempt } from './connect-attempt';
import type { JobRun } from './job-run';
import { openSecretEnv } from './job-secrets';

/**
 * The job's workdir upload unpacked on the server (once per attempt, docs/decisions/0137); the
 * upload is touched as a use (the API's upload sweep keeps it while jobs use it).
 */
async function pushUpload(run: JobRun, session: SshSession, jobDir: string, sha256: string): Promise<string> {
  const { dataDir } = run.deps.settings;
  await touchUpload(dataDir, run.job.owner, sha256);
  const pushed = await pushWorkdir(session, { jobDir, tarball: uploadPath(dataDir, run.job.owner, sha256) });
  run.log.info(
    { jobDir, upload: sha256, unpacked: pushed.unpacked },
    pushed.unpacked ? 'workdir unpacked' : 'workdir was unpacked before',
  );
  return pushed.workDir;
}

/**
 * Start the command detached on the server (once per attempt, even across worker restarts), in its
 * unpacked workdir upload if the spec names one, and
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
    const workDir =
      spec.workdir === undefined ? undefined : await pushUpload(run, first, jobDir, spec.workdir.upload);
    const started = await startCommand(first, {
      jobDir,
      command: spec.command,
      env,
      timeoutSeconds: spec.timeoutSeconds,
      killGraceSeconds: deps.settings.killGraceSeconds,
      ...(workDir === undefined ? {} : { workDir }),
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

import type { Attempt } from '@clore-batch/shared';
import type { SshSession } from '../remote/ssh-session';
import { waitForSsh } from '../remote/wait-for-ssh';
import { AttemptOver } from './control';
import type { JobRun } from './job-run';
import { jobKeyPair } from './job-secrets';

/** Connect to the attempt's server with the job's key, the pinned host key and a deadline. */
export async function connectAttempt(
  run: JobRun,
  attempt: Attempt,
  deadline: number,
  signal: AbortSignal,
): Promise<SshSession> {
  if (attempt.host === undefined || attempt.sshPort === undefined) {
    throw new AttemptOver('internal', `attempt ${attempt.n} has no SSH address`);
  }
  const keys = await jobKeyPair(run.deps, run.id);
  const { sshRetryMs } = run.deps.settings;
  return waitForSsh({
    host: attempt.host,
    port: attempt.sshPort,
    privateKey: keys.privateKey,
    ...(attempt.hostKey === undefined ? {} : { pinnedHostKey: attempt.hostKey }),
    deadline,
    signal,
    initialDelayMs: sshRetryMs.initial,
    maxDelayMs: sshRetryMs.max,
    readyTimeoutMs: 20_000,
  });
}

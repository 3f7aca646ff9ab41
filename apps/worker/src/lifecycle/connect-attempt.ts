import type { Attempt } from '@clore-batch/shared';
import type { SshSession } from '../remote/ssh-session';
import { waitForSsh } from '../remote/wait-for-ssh';
import { AttemptOver } from './control';
import type { JobRun } from './job-run';
import { jobKeyPair } from './job-secrets';

/**
 * Connect to the attempt's server with the job's key, the pinned host key and a deadline. The
 * connection is dropped when `signal` aborts: a budget stop, a cancel or an unverified spend must
 * not wait for an SFTP transfer (outputs, workdir) to finish, or for keepalive to give up on a
 * stalled link, while the order bills; the transfer fails and the caller's error path takes the
 * signal's reason.
 */
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
  const session = await waitForSsh({
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
  const close = () => session.destroy();
  if (signal.aborted) {
    close();
  } else {
    signal.addEventListener('abort', close, { once: true });
    void session.whenClosed().then(() => signal.removeEventListener('abort', close));
  }
  return session;
}

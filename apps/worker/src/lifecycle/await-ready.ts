import type { Order } from '@clore-batch/clore';
import type { Attempt } from '@clore-batch/shared';
import { sshErrorReason } from '../remote/ssh-error';
import type { SshSession } from '../remote/ssh-session';
import { connectAttempt } from './connect-attempt';
import { AttemptOver } from './control';
import type { JobRun } from './job-run';
import { OrderTracker, watchOrders } from './order-views';
import { readinessTimeoutMs } from './provision';

/**
 * What a failed SSH wait at the provisioning deadline means for the attempt (clore-api.md Part A 7,
 * 10): an image that runs its own sshd (`imageHasSshd`) and never let us in is most likely an
 * image without sshd (`ssh_error`); a key refused until the deadline is `ssh_error` naming the key;
 * a server that never answered at all is the provider's (`provider_error`, another server may work).
 */
export function readinessFailure(
  run: Pick<JobRun, 'job'>,
  attempt: Attempt,
  error: unknown,
  seconds: number,
): unknown {
  const reason = sshErrorReason(error);
  if (reason !== 'connect_failed' && reason !== 'auth_refused') {
    return error;
  }
  const where = `server ${attempt.serverId} (order ${attempt.orderId})`;
  const detail = error instanceof Error ? error.message : String(error);
  if (run.job.spec.imageHasSshd) {
    return new AttemptOver(
      'ssh_error',
      `${where} did not let the job in over SSH within ${seconds} s: the image may not run sshd; remove imageHasSshd to let Clore inject its SSH entrypoint (${detail})`,
      { cause: error },
    );
  }
  if (reason === 'auth_refused') {
    return new AttemptOver(
      'ssh_error',
      `${where} kept refusing the job's SSH key until the provisioning deadline (${seconds} s): the order's ssh_key was likely never installed in the container (Clore's SSH entrypoint did not start, or the image replaces it) (${detail})`,
      { cause: error },
    );
  }
  return new AttemptOver('provider_error', `${where} did not answer SSH within ${seconds} s of the order`, {
    cause: error,
  });
}

/**
 * Wait (on the order book, with the provisioning deadline) for the order to run, then for SSH to
 * answer; pin the host key seen first. Past the deadline the attempt is over (`provider_error`):
 * the caller releases the server and the next attempt tries another.
 */
export async function awaitReady(run: JobRun, attempt: Attempt): Promise<Attempt> {
  const { deps } = run;
  const orderId = attempt.orderId as number;
  const timeoutMs = readinessTimeoutMs(run);
  const deadline = Date.parse(attempt.startedAt) + timeoutMs;
  const tracker = new OrderTracker(orderId, Date.parse(attempt.startedAt) + deps.settings.orderLookupMs);
  const seen = await watchOrders<{ order: Order } | { ended: true; spot: boolean }>(
    deps,
    { untilMs: deadline, signal: run.signal },
    (snapshot) => {
      const state = tracker.state(snapshot);
      if (state.kind === 'ended') {
        return { ended: true, spot: state.order?.spot ?? run.job.spec.orderType === 'spot' };
      }
      if (state.kind === 'active' && state.order.ready && state.order.ssh !== undefined) {
        return { order: state.order };
      }
      return undefined;
    },
  );
  const seconds = Math.round(timeoutMs / 1000);
  if (seen === undefined) {
    throw new AttemptOver(
      'provider_error',
      `order ${orderId} on server ${attempt.serverId} did not come up within ${seconds} s`,
    );
  }
  if ('ended' in seen) {
    throw new AttemptOver(
      seen.spot ? 'preempted' : 'provider_error',
      `order ${orderId} ended before it came up`,
    );
  }
  const ssh = seen.order.ssh as NonNullable<Order['ssh']>;
  const located: Attempt = { ...attempt, host: ssh.host, sshPort: ssh.port };
  let session: SshSession;
  try {
    session = await connectAttempt(run, located, deadline, run.signal);
  } catch (error) {
    if (run.signal.aborted) {
      throw run.signal.reason;
    }
    throw readinessFailure(run, attempt, error, seconds);
  }
  const hostKey = session.hostKey;
  await session.close();
  run.job = await deps.store.attemptReady(run.id, attempt.n, { host: ssh.host, sshPort: ssh.port, hostKey });
  run.log.info(
    { attempt: attempt.n, orderId, host: ssh.host, port: ssh.port, hostKey },
    'the server is up and answers SSH',
  );
  return run.job.attempts.find((a) => a.n === attempt.n) as Attempt;
}

import { abortableSleep } from '@clore-batch/shared';
import { type ConnectOptions, connect } from './connect';
import { isAuthRefusal, messageOf, sshError, sshErrorReason } from './ssh-error';
import type { SshSession } from './ssh-session';

export interface WaitForSshOptions extends ConnectOptions {
  /** Give up at this time (epoch ms). */
  deadline: number;
  signal?: AbortSignal;
  /** First pause between attempts (default 500 ms), doubled each time up to `maxDelayMs` (default 10 s). */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Called after each failed attempt (for logs and metrics); gets no secrets. */
  onRetry?: (info: { attempt: number; delayMs: number; error: Error }) => void;
}

/**
 * Connect as soon as the server answers SSH: retries refused ports, failed handshakes and refused
 * authentication (a fresh server may install the key late: clore-api.md Part A 7, "not ready yet")
 * with capped exponential backoff until the deadline. A changed host key or an unusable private key
 * is never retried. At the deadline: `auth_refused` when the server answered but refused the key
 * at least once, else `connect_failed`. Aborting rejects with the signal's reason.
 */
export async function waitForSsh(options: WaitForSshOptions): Promise<SshSession> {
  const { deadline, signal, onRetry } = options;
  const maxDelay = options.maxDelayMs ?? 10_000;
  let delay = options.initialDelayMs ?? 500;
  let lastError: Error | undefined;
  // The server answered and refused our key at least once (the last try may be cut short by the deadline).
  let refusedKey: Error | undefined;
  for (let attempt = 1; ; attempt += 1) {
    signal?.throwIfAborted();
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      break;
    }
    try {
      return await connect({
        ...options,
        readyTimeoutMs: Math.max(1, Math.min(options.readyTimeoutMs ?? 20_000, remaining)),
      });
    } catch (error) {
      const reason = sshErrorReason(error);
      if (reason === 'host_key_changed' || reason === 'invalid_key') {
        throw error;
      }
      lastError = error instanceof Error ? error : new Error(String(error));
      if (isAuthRefusal(lastError)) {
        refusedKey = lastError;
      }
    }
    const pause = Math.min(delay, deadline - Date.now());
    if (pause <= 0) {
      break;
    }
    onRetry?.({ attempt, delayMs: pause, error: lastError });
    await abortableSleep(pause, signal);
    delay = Math.min(delay * 2, maxDelay);
  }
  const why = lastError === undefined ? 'no attempt fit before the deadline' : messageOf(lastError);
  if (refusedKey !== undefined) {
    throw sshError(
      'auth_refused',
      `ssh ${options.host}:${options.port} answered but refused the job's key until the deadline: ${messageOf(refusedKey)}${refusedKey === lastError ? '' : ` (last: ${why})`}`,
      { cause: lastError },
    );
  }
  throw sshError(
    'connect_failed',
    `ssh ${options.host}:${options.port} did not answer before the deadline: ${why}`,
    {
      cause: lastError,
    },
  );
}

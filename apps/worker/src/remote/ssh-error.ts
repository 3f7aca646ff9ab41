import { AppError } from '@clore-batch/shared';

/**
 * Why an SSH_ERROR happened, in `details.reason`, so callers can decide without parsing messages:
 * - `connect_failed`: no TCP connection, handshake or authentication failed (try again later)
 * - `host_key_changed`: the server is not the one pinned; never retried, never connected to
 * - `connection_lost`: an established connection dropped (reconnect and resume)
 * - `timeout`: a remote operation did not answer in time
 * - `remote_error`: the server answered with a failure (a script or SFTP status)
 * - `wrapper_lost`: the job's wrapper process is gone without having written an exit code
 * - `invalid_key`: the private key cannot be used (corrupt, wrong format); never retried
 * - `auth_refused`: the server kept refusing the job's key until the deadline (waitForSsh only:
 *   before the deadline a refusal is "not ready yet", clore-api.md Part A 7)
 */
export type SshErrorReason =
  | 'connect_failed'
  | 'host_key_changed'
  | 'connection_lost'
  | 'timeout'
  | 'remote_error'
  | 'wrapper_lost'
  | 'invalid_key'
  | 'auth_refused';

export function sshError(
  reason: SshErrorReason,
  message: string,
  options: { cause?: unknown; details?: Record<string, unknown> } = {},
): AppError {
  return new AppError('SSH_ERROR', message, {
    cause: options.cause,
    details: { reason, ...options.details },
  });
}

/** The SSH_ERROR reason of an error, if it is one of ours (also after serialisation). */
export function sshErrorReason(error: unknown): SshErrorReason | undefined {
  if (typeof error !== 'object' || error === null || (error as { code?: unknown }).code !== 'SSH_ERROR') {
    return undefined;
  }
  const reason = (error as { details?: { reason?: unknown } }).details?.reason;
  return typeof reason === 'string' ? (reason as SshErrorReason) : undefined;
}

/** Whether reconnecting and trying again can help. */
export function isReconnectable(error: unknown): boolean {
  const reason = sshErrorReason(error);
  return (
    reason === 'connection_lost' ||
    reason === 'connect_failed' ||
    reason === 'auth_refused' ||
    reason === 'timeout'
  );
}

/** An error's message, for wrapping; never anything but the message. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Whether a failed connection was the server refusing our key (OpenSSH's "Permission denied
 * (publickey)", ssh2's "All configured authentication methods failed"), looking through causes.
 */
export function isAuthRefusal(error: unknown): boolean {
  for (let e = error, depth = 0; e !== undefined && e !== null && depth < 5; depth += 1) {
    const message = e instanceof Error ? e.message : String(e);
    if (/All configured authentication methods failed|Permission denied \(publickey/i.test(message)) {
      return true;
    }
    e = e instanceof Error ? e.cause : undefined;
  }
  return false;
}

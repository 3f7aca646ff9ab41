import { abortableSleep, hasErrorCode } from '@clore-batch/shared';
import { assertJobDir, jobFile } from './job-files';
import { readStatus } from './read-status';
import {
  type ReadBlocksOptions,
  sftpClose,
  sftpExists,
  sftpFstat,
  sftpOpenIfExists,
  sftpReadBlocks,
  sftpReadSmall,
} from './sftp-io';
import { messageOf, sshError } from './ssh-error';
import type { SshSession } from './ssh-session';

export interface StreamLogOptions extends ReadBlocksOptions {
  jobDir: string;
  /** Byte offset in output.log to start from (0, or the last delivered end after a reconnect). */
  fromOffset: number;
  /**
   * Receives every byte from `fromOffset` on exactly once, in order. The next read waits for it
   * (backpressure); when it resolves, the bytes count as delivered.
   */
  onChunk: (offset: number, data: Buffer) => Promise<void> | void;
  signal?: AbortSignal;
  /** Pause at end of file before looking again. Default 250 ms. */
  pollIntervalMs?: number;
  /** While idle, check this often that the wrapper is still alive. Default 5 s. */
  livenessIntervalMs?: number;
}

export interface CommandResult {
  exitCode: number;
  timedOut: boolean;
  stopped: boolean;
  /** The log's final size: every byte up to here was delivered. */
  endOffset: number;
}

/**
 * Follow output.log over SFTP from a byte offset until the command has ended and every byte up to
 * the log's final size was delivered. A dropped connection rejects with SSH_ERROR `connection_lost`
 * (details.offset: the next byte to deliver): reconnect and call again from there, or use
 * followCommand, which does that.
 */
export async function streamLog(session: SshSession, options: StreamLogOptions): Promise<CommandResult> {
  const { jobDir, signal, onChunk } = options;
  assertJobDir(jobDir);
  const pollMs = options.pollIntervalMs ?? 250;
  const livenessMs = options.livenessIntervalMs ?? 5_000;
  const logPath = jobFile(jobDir, 'log');
  let offset = options.fromOffset;
  let handle: Buffer | undefined;
  let lastLiveness = Date.now();
  const sftp = await session.sftp().catch((error) => {
    throw asSshError(session, error, offset);
  });
  const deliver = async (position: number, data: Buffer) => {
    try {
      await onChunk(position, data);
    } catch (error) {
      throw new ConsumerError(error);
    }
  };
  const drainTo = async (size: number) => {
    if (handle !== undefined && size > offset) {
      offset = await sftpReadBlocks(sftp, handle, offset, size, deliver, options);
    }
  };
  try {
    for (;;) {
      signal?.throwIfAborted();
      handle ??= await sftpOpenIfExists(sftp, logPath);
      const size = handle === undefined ? 0 : (await sftpFstat(sftp, handle)).size;
      if (size > offset) {
        await drainTo(size);
        lastLiveness = Date.now();
        continue;
      }
      const exitPath = jobFile(jobDir, 'exitCode');
      const exitText = (await sftpExists(sftp, exitPath)) ? await sftpReadSmall(sftp, exitPath) : undefined;
      if (exitText !== undefined) {
        const exitCode = Number(exitText.trim());
        if (!Number.isInteger(exitCode)) {
          throw sshError(
            'remote_error',
            `${jobDir}/exit_code holds ${JSON.stringify(exitText.slice(0, 20))}`,
          );
        }
        // The wrapper writes exit_code after the command's whole group is gone: the size is final.
        handle ??= await sftpOpenIfExists(sftp, logPath);
        if (handle !== undefined) {
          await drainTo((await sftpFstat(sftp, handle)).size);
        }
        const [timedOut, stopped] = await Promise.all([
          sftpExists(sftp, jobFile(jobDir, 'timedOut')),
          sftpExists(sftp, jobFile(jobDir, 'stopped')),
        ]);
        return { exitCode, timedOut, stopped, endOffset: offset };
      }
      if (Date.now() - lastLiveness >= livenessMs) {
        const status = await readStatus(session, jobDir);
        if (!status.started || status.lost) {
          // The exit code may have landed between the two looks: look once more before giving up.
          if (!(await sftpExists(sftp, jobFile(jobDir, 'exitCode')))) {
            throw sshError(
              'wrapper_lost',
              status.started
                ? `the command in ${jobDir} is gone without an exit code (its wrapper died)`
                : `no command was started in ${jobDir}`,
              { details: { offset } },
            );
          }
        }
        lastLiveness = Date.now();
      }
      await abortableSleep(pollMs, signal);
    }
  } catch (error) {
    if (error instanceof ConsumerError) {
      throw error.cause; // onChunk's own failure, unchanged
    }
    if (signal?.aborted && error === signal.reason) {
      throw error;
    }
    throw asSshError(session, error, offset);
  } finally {
    if (handle !== undefined && !session.closed) {
      await sftpClose(sftp, handle).catch(() => {});
    }
  }
}

/** Our own errors pass through (with the offset); SFTP status errors are remote; anything else is a drop. */
function asSshError(session: SshSession, error: unknown, offset: number): Error {
  const details = (error as { details?: Record<string, unknown> } | null)?.details;
  if ((error as { code?: unknown } | null)?.code === 'SSH_ERROR' && details !== undefined) {
    details.offset ??= offset;
    return error as Error;
  }
  if (hasErrorCode(error) && error instanceof Error) {
    return error; // another AppError: not ours to reclassify
  }
  const sftpStatus = typeof (error as { code?: unknown } | null)?.code === 'number';
  return sshError(
    sftpStatus && !session.closed ? 'remote_error' : 'connection_lost',
    `streaming ${session.address} log: ${messageOf(error)}`,
    { cause: error, details: { offset } },
  );
}

/** Carries an error thrown by onChunk through the reader, so it is rethrown as it was. */
class ConsumerError extends Error {
  constructor(cause: unknown) {
    super('onChunk failed', { cause });
  }
}

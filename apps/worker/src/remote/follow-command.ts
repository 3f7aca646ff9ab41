import { abortableSleep } from '@clore-batch/shared';
import { isReconnectable } from './ssh-error';
import type { SshSession } from './ssh-session';
import { type CommandResult, type StreamLogOptions, streamLog } from './stream-log';

export interface FollowCommandOptions extends Omit<StreamLogOptions, 'fromOffset'> {
  /** Opens a connection with the job's pinned host key (e.g. `() => waitForSsh({...})`). */
  connect: () => Promise<SshSession>;
  fromOffset?: number;
  /** Give up when no connection could be re-established for this long. Default 5 min. */
  reconnectWindowMs?: number;
  /** Pause before a reconnect, doubled per failure up to 10 s. Default 500 ms. */
  reconnectDelayMs?: number;
  /** Told about each drop (no secrets in it), for logs. */
  onReconnect?: (info: { offset: number; attempt: number; error: Error }) => void;
}

export interface FollowResult extends CommandResult {
  /** How many times the connection was re-established. */
  reconnects: number;
}

/**
 * streamLog with the reconnect loop: on a dropped connection, close it, connect again and resume
 * from the last delivered offset, until the command ended and its log is delivered. Connections it
 * opens are its own and always closed. Non-reconnectable errors (host key changed, wrapper lost,
 * onChunk failures, abort) end it at once.
 */
export async function followCommand(options: FollowCommandOptions): Promise<FollowResult> {
  const windowMs = options.reconnectWindowMs ?? 5 * 60_000;
  const firstDelay = options.reconnectDelayMs ?? 500;
  let offset = options.fromOffset ?? 0;
  let reconnects = 0;
  let failures = 0;
  let lastProgress = Date.now();
  const onChunk = async (position: number, data: Buffer) => {
    await options.onChunk(position, data);
    offset = position + data.length;
    lastProgress = Date.now();
  };
  for (let attempt = 0; ; attempt += 1) {
    options.signal?.throwIfAborted();
    let session: SshSession | undefined;
    try {
      session = await options.connect();
      if (attempt > 0) {
        reconnects += 1;
      }
      lastProgress = Date.now();
      failures = 0;
      const result = await streamLog(session, { ...options, fromOffset: offset, onChunk });
      return { ...result, reconnects };
    } catch (error) {
      if (!isReconnectable(error) || Date.now() - lastProgress > windowMs) {
        throw error;
      }
      options.onReconnect?.({ offset, attempt: attempt + 1, error: error as Error });
    } finally {
      await session?.close();
    }
    await abortableSleep(Math.min(firstDelay * 2 ** failures, 10_000), options.signal);
    failures += 1;
  }
}

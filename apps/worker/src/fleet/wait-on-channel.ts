import type { ChannelHub } from './channel-hub';

export interface WaitOnChannelOptions<T> {
  hub: ChannelHub;
  channel: string;
  /** Read the state (from Redis, never from Clore); a defined result ends the wait. */
  check: () => Promise<T | undefined>;
  /** Re-check at least this often even without a message (a missed message, a reconnect). */
  fallbackMs: number;
  signal?: AbortSignal | undefined;
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('wait aborted');
}

/**
 * Wait until `check` returns a value: re-checks on every message on `channel` and every
 * `fallbackMs`; rejects with the signal's reason when aborted. The listener is registered before
 * the first check, so a message published between check and wait is never lost.
 */
export async function waitOnChannel<T>(options: WaitOnChannelOptions<T>): Promise<T> {
  const { signal } = options;
  let wake: (() => void) | undefined;
  let pinged = false;
  const unlisten = options.hub.listen(options.channel, () => {
    pinged = true;
    wake?.();
  });
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort);
  try {
    for (;;) {
      if (signal?.aborted) {
        throw abortReason(signal);
      }
      pinged = false;
      const value = await options.check();
      if (value !== undefined) {
        return value;
      }
      if (pinged || signal?.aborted) {
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.fallbackMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    unlisten();
    signal?.removeEventListener('abort', onAbort);
  }
}

import type { ChannelHub } from './channel-hub';

export interface WaitOnChannelOptions<T> {
  hub: ChannelHub;
  channel: string;
  /** Read the state (from Redis, never from Clore); a defined result ends the wait. */
  check: () => Promise<T | undefined>;
  /** Re-check at least this often even without a message (a missed message, a reconnect). */
  fallbackMs: number;
  signal?: AbortSignal | undefined;
  /**
   * A failing check (Redis unreachable) is retried every `fallbackMs`; after failing for this long
   * without a success, its error is thrown (default 30 000).
   */
  maxErrorMs?: number;
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('wait aborted');
}

/**
 * Wait until `check` returns a value: re-checks on every message on `channel` and every
 * `fallbackMs`; rejects with the signal's reason when aborted. The listener is registered before
 * the first check, so a message published between check and wait is never lost. A check that
 * throws (a Redis blip) is retried at the fallback pace for up to `maxErrorMs`.
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
  let failingSince: number | undefined;
  try {
    for (;;) {
      if (signal?.aborted) {
        throw abortReason(signal);
      }
      pinged = false;
      let value: T | undefined;
      try {
        value = await options.check();
        failingSince = undefined;
      } catch (error) {
        failingSince ??= Date.now();
        if (Date.now() - failingSince >= (options.maxErrorMs ?? 30_000)) {
          throw error;
        }
        pinged = false; // after a failure, wait the fallback pace before trying again
      }
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

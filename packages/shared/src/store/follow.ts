import { isTerminal } from '../state/job-state';
import { mustReadJob } from './job-io';
import type { JobHistoryEvent } from './job-record';
import { parseLiveMessage } from './live-message';
import { readLogChunk } from './log-reads';
import type { StoreDeps } from './store-deps';

export type FollowItem =
  | { kind: 'log'; offset: number; data: Buffer }
  | { kind: 'event'; index: number; event: JobHistoryEvent };

export interface FollowOptions {
  /** First log byte to deliver (default 0). */
  fromOffset?: number;
  /** First history event to deliver (default 0). */
  fromEventIndex?: number;
  /** Stops the iteration (it then ends without an error). */
  signal?: AbortSignal;
  /** Largest log chunk yielded (default 64 KiB). */
  chunkBytes?: number;
  /** Re-read this often even without a notification, covering messages lost in a reconnect (default 5 s). */
  pollMs?: number;
}

/**
 * Everything of a job from a point on, in order, without gaps or repeats, until the job is terminal
 * and all is delivered: log chunks `{kind:'log', offset, data}` and history events
 * `{kind:'event', index, event}`.
 *
 * It subscribes first, then reads. Notifications only mark the log or the history as changed; the
 * data always comes from the record and the log file (or tail), tracked by offset and index, so a
 * lost, late or repeated notification cannot lose or repeat anything. Events are read before the
 * log, so a state event is yielded after every log byte written before it. Pull-based: nothing is
 * read ahead of the consumer, so memory stays at one chunk however slow the reader is.
 */
export async function* followJob(
  deps: StoreDeps,
  id: string,
  options: FollowOptions = {},
): AsyncGenerator<FollowItem, void, undefined> {
  const { signal } = options;
  const chunkBytes = options.chunkBytes ?? 64 * 1024;
  const pollMs = options.pollMs ?? 5_000;
  let offset = Math.max(0, options.fromOffset ?? 0);
  let index = Math.max(0, options.fromEventIndex ?? 0);
  let logDirty = true;
  let eventsDirty = true;
  let wake: (() => void) | undefined;
  const onMessage = (text: string) => {
    const message = parseLiveMessage(text);
    if (message?.type === 'update') {
      return; // no new event: nothing a follower yields changed
    }
    if (message?.type === 'log') {
      logDirty = true;
    } else {
      eventsDirty = true;
    }
    wake?.();
  };
  await mustReadJob(deps, id);
  const unsubscribe = await deps.live.subscribe(deps.keys.channel(id), onMessage);
  try {
    for (;;) {
      if (signal?.aborted) {
        return;
      }
      let events: JobHistoryEvent[] = [];
      let terminal = false;
      if (eventsDirty) {
        eventsDirty = false;
        const job = await mustReadJob(deps, id);
        events = job.events.slice(index);
        terminal = isTerminal(job.state);
        logDirty = true; // read the log after the events: it then holds everything written before them
      }
      if (logDirty) {
        logDirty = false;
        for (;;) {
          const chunk = await readLogChunk(deps, id, offset, chunkBytes);
          if (chunk.data.length === 0) {
            break;
          }
          yield { kind: 'log', offset: chunk.offset, data: chunk.data };
          offset = chunk.offset + chunk.data.length;
          if (offset >= chunk.size || signal?.aborted) {
            break;
          }
        }
      }
      for (const event of events) {
        yield { kind: 'event', index, event };
        index += 1;
      }
      if (terminal) {
        return;
      }
      if (!logDirty && !eventsDirty) {
        const woken = await sleepUntilWoken(pollMs, signal, (resolve) => {
          wake = resolve;
        });
        wake = undefined;
        if (!woken) {
          eventsDirty = true; // no news for pollMs: re-read everything in case a message was lost
        }
      }
    }
  } finally {
    await unsubscribe();
  }
}

/** True on a notification or an abort, false after `ms` without either. */
function sleepUntilWoken(
  ms: number,
  signal: AbortSignal | undefined,
  setWake: (resolve: () => void) => void,
): Promise<boolean> {
  if (signal?.aborted) {
    return Promise.resolve(true);
  }
  return new Promise((resolve) => {
    const finish = (woken: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(woken);
    };
    const onAbort = () => finish(true);
    const timer = setTimeout(() => finish(false), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    setWake(() => finish(true));
  });
}

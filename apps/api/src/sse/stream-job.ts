import { type JobStore, jobSummary } from '@clore-batch/shared';
import { formatEventId, type StreamPosition } from './event-id';
import type { SseWriter } from './sse-writer';
import { splitUtf8 } from './utf8-split';

export interface StreamJobOptions {
  store: JobStore;
  jobId: string;
  from: StreamPosition;
  writer: SseWriter;
  signal: AbortSignal;
  chunkBytes?: number;
}

/**
 * A job's log and history as SSE, from `from` until the job ends:
 * - `event: log`, data `{"offset":n,"text":"..."}`: output bytes from `offset` as UTF-8 text (a
 *   character split across chunks is held back until it is complete); offsets only grow, and jump
 *   over bytes LOG_MAX_BYTES dropped, whose marker line comes as the text just before the jump's end;
 * - `event: state` / `event: info`, data: the history entry `{index, at, type, from?, to?, ...}`
 *   (a state entry also carries `state`, the same as `to`);
 * - `event: end`, data: the job summary `{id, state, reason?, exitCode?, costUsd, ...}`, then close.
 * Every log/state/info event carries an id (event-id.ts) to resume from. Pull-based: the next
 * chunk is read only after the previous one has gone out (`writer.send` waits for drain).
 */
export async function streamJob(options: StreamJobOptions): Promise<'ended' | 'closed'> {
  const { store, jobId, writer, signal } = options;
  let sent: StreamPosition = { ...options.from };
  let pending: Buffer = Buffer.alloc(0);
  const follow = store.follow(jobId, {
    fromOffset: sent.offset,
    fromEventIndex: sent.index,
    signal,
    chunkBytes: options.chunkBytes ?? 64 * 1024,
  });
  const sendLog = async (bytes: Buffer) => {
    const start = sent.offset;
    sent = { offset: start + bytes.length, index: sent.index };
    await writer.send(
      'log',
      JSON.stringify({ offset: start, text: bytes.toString('utf8') }),
      formatEventId(sent),
    );
  };
  for await (const item of follow) {
    if (item.kind === 'log') {
      if (item.offset > sent.offset + pending.length) {
        // Bytes were skipped (dropped under LOG_MAX_BYTES: the chunk is the marker line; or gone
        // from the Redis tail): what is held back goes out as it is, and the stream goes on there.
        if (pending.length > 0) {
          await sendLog(pending);
        }
        pending = Buffer.alloc(0);
        sent = { offset: item.offset, index: sent.index };
      }
      const [complete, rest] = splitUtf8(
        pending.length === 0 ? item.data : Buffer.concat([pending, item.data]),
      );
      pending = Buffer.from(rest);
      if (complete.length > 0) {
        await sendLog(complete);
      }
    } else {
      sent = { offset: sent.offset, index: item.index + 1 };
      const isState = item.event.type === 'state';
      const data = JSON.stringify({
        index: item.index,
        ...item.event,
        ...(isState && item.event.to !== undefined ? { state: item.event.to } : {}),
      });
      await writer.send(isState ? 'state' : 'info', data, formatEventId(sent));
    }
    if (writer.isClosed) {
      return 'closed';
    }
  }
  if (signal.aborted || writer.isClosed) {
    return 'closed';
  }
  if (pending.length > 0) {
    await sendLog(pending);
  }
  const job = await store.get(jobId);
  await writer.send('end', JSON.stringify(jobSummary(job)), formatEventId(sent));
  return 'ended';
}

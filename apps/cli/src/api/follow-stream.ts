import { CliError } from '../cli/cli-error';
import { EXIT } from '../cli/exit-codes';
import type { ApiClient } from './api-client';
import { ApiError } from './api-error';
import { type SseEvent, SseParser } from './sse-parser';

/** What a follower sees, in the order the API sent it. */
export type FollowItem =
  | { kind: 'log'; offset: number | undefined; data: Buffer }
  | { kind: 'state' | 'info'; payload: Record<string, unknown> }
  | { kind: 'end'; payload: Record<string, unknown> };

export interface FollowOptions {
  signal?: AbortSignal;
  /** Called before each reconnect after a dropped stream (for a status line or a test). */
  onReconnect?: (attempt: number, lastEventId: string | undefined) => void;
  /** Give up after this long without a successful connection (default 60 s). */
  giveUpMs?: number;
  /** Reconnect when nothing at all (not even a keep-alive) arrived for this long (default 60 s). */
  idleMs?: number;
}

/**
 * `GET /v1/jobs/:id/logs?follow=1` as an async iterator of log chunks and state events, until the
 * `end` event. A dropped connection is resumed with `Last-Event-ID` (the id of the last event
 * received), so nothing is lost or repeated; an HTTP error other than 429/5xx ends it with that
 * error. It returns after `end`; an abort returns quietly.
 */
export async function* followStream(
  client: ApiClient,
  jobId: string,
  options: FollowOptions = {},
): AsyncGenerator<FollowItem, void, undefined> {
  const giveUpMs = options.giveUpMs ?? 60_000;
  let lastEventId: string | undefined;
  let failingSince: number | undefined;
  let lastError: unknown;
  let lastLogOffset = -1;
  for (let attempt = 0; ; attempt += 1) {
    if (options.signal?.aborted) {
      return;
    }
    if (attempt > 0) {
      options.onReconnect?.(attempt, lastEventId);
    }
    const idle = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, idle.signal]) : idle.signal;
    try {
      const response = await client.openStream(jobId, lastEventId, signal);
      failingSince = undefined;
      for await (const event of readEvents(response, idle, options.idleMs ?? 60_000)) {
        if (event.id !== undefined) {
          lastEventId = event.id;
        }
        const item = toItem(event);
        if (item?.kind === 'log' && item.offset !== undefined) {
          if (item.offset <= lastLogOffset) {
            continue; // a repeat (the API resumes exactly; this guards against one that does not)
          }
          lastLogOffset = item.offset;
        }
        if (item) {
          yield item;
          if (item.kind === 'end') {
            return;
          }
        }
      }
      lastError = new Error('the stream ended before the job did');
    } catch (error) {
      if (options.signal?.aborted) {
        return;
      }
      if (error instanceof CliError && !(error instanceof ApiError && retryableStatus(error.status))) {
        throw error;
      }
      lastError = error;
    }
    failingSince ??= Date.now();
    if (Date.now() - failingSince > giveUpMs) {
      const why = lastError instanceof Error ? lastError.message : String(lastError);
      throw new CliError(
        EXIT.apiUnreachable,
        `following job ${jobId}: lost the stream and could not resume (${why})`,
      );
    }
    await sleep(Math.min(250 * 2 ** Math.min(attempt, 4), 3_000), options.signal);
  }
}

function retryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** Decode the body as UTF-8 text and parse it as SSE; abort via `idle` when nothing arrives. */
async function* readEvents(
  response: Response,
  idle: AbortController,
  idleMs: number,
): AsyncGenerator<SseEvent> {
  if (!response.body) {
    return;
  }
  const parser = new SseParser();
  const decoder = new TextDecoder('utf-8');
  let timer = setTimeout(() => idle.abort(), idleMs);
  try {
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(), idleMs);
      yield* parser.push(decoder.decode(chunk, { stream: true }));
    }
  } finally {
    clearTimeout(timer);
  }
}

function toItem(event: SseEvent): FollowItem | undefined {
  switch (event.event) {
    case 'log':
      return { kind: 'log', ...decodeLogData(event.data) };
    case 'state':
    case 'info':
      return { kind: event.event, payload: parseObject(event.data) };
    case 'end':
      return { kind: 'end', payload: parseObject(event.data) };
    default:
      return undefined;
  }
}

/**
 * A log event's data is `{"offset": n, "text": "..."}`: the output from byte `offset` as UTF-8 text
 * (the API cuts chunks on character boundaries, and JSON keeps \r and every other byte of text).
 */
export function decodeLogData(data: string): { offset: number | undefined; data: Buffer } {
  try {
    const value = JSON.parse(data) as { offset?: unknown; text?: unknown };
    if (typeof value === 'object' && value !== null && typeof value.text === 'string') {
      return {
        offset: typeof value.offset === 'number' ? value.offset : undefined,
        data: Buffer.from(value.text, 'utf8'),
      };
    }
  } catch {
    // not JSON: the text itself
  }
  return { offset: undefined, data: Buffer.from(data, 'utf8') };
}

function parseObject(data: string): Record<string, unknown> {
  try {
    const value = JSON.parse(data) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : { value };
  } catch {
    return { message: data };
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

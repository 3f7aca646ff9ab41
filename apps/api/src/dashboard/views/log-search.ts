import type { JobStore } from '@clore-batch/shared';

/** A search stops after this many matching lines (and says so). */
export const LOG_SEARCH_MAX_MATCHES = 1_000;
const READ_BYTES = 1024 * 1024;
const LINE_SHOWN_MAX = 500;

/** The job's whole stored log, chunk by chunk (a dropped middle comes as the store's marker line). */
export async function* logChunks(store: JobStore, id: string): AsyncGenerator<Buffer> {
  let from = 0;
  for (;;) {
    const chunk = await store.readLogChunk(id, from, READ_BYTES);
    if (chunk.data.length === 0) {
      return;
    }
    yield chunk.data;
    from = chunk.offset + chunk.data.length;
    if (from >= chunk.size) {
      return;
    }
  }
}

export interface LogMatch {
  /** 1-based line number in the stored log. */
  line: number;
  text: string;
}

/**
 * Lines of the whole stored log (not only the tail the page shows) that contain `query`, case
 * insensitive, read 1 MiB at a time; a line longer than LINE_SHOWN_MAX characters is cut.
 */
export async function searchLog(
  store: JobStore,
  id: string,
  query: string,
  limit: number,
): Promise<{ matches: LogMatch[]; truncated: boolean; query: string }> {
  const needle = query.toLowerCase();
  const matches: LogMatch[] = [];
  const decoder = new TextDecoder();
  let carry = '';
  let line = 0;
  const check = (text: string) => {
    line += 1;
    if (text.toLowerCase().includes(needle)) {
      matches.push({ line, text: text.length > LINE_SHOWN_MAX ? `${text.slice(0, LINE_SHOWN_MAX)}…` : text });
    }
  };
  for await (const chunk of logChunks(store, id)) {
    const lines = (carry + decoder.decode(chunk, { stream: true })).split('\n');
    carry = lines.pop() ?? '';
    for (const text of lines) {
      check(text);
      if (matches.length > limit) {
        return { matches: matches.slice(0, limit), truncated: true, query };
      }
    }
  }
  carry += decoder.decode();
  if (carry !== '') {
    check(carry);
  }
  return { matches: matches.slice(0, limit), truncated: matches.length > limit, query };
}

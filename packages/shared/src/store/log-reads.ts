import { AppError } from '../errors/app-error';
import { readPlace } from './log-files';
import { type LogLayout, locate, logLayout } from './log-layout';
import { assertJobExists, logMeta } from './log-meta';
import { CAS_RETRIES, type StoreDeps } from './store-deps';

/** Reading a job's log (logs.ts has the layout and the writes). */
export const READ_LOG_DEFAULT_MAX = 16 * 1024 * 1024;

export interface LogChunk {
  /**
   * Where `data` starts; above the asked offset when the asked bytes were dropped (`data` is then the
   * marker line, which ends where the kept tail begins) or when the file is missing and the Redis
   * tail has moved on.
   */
  offset: number;
  data: Buffer;
  /** Bytes stored when this was read. */
  size: number;
}

/**
 * Up to `maxBytes` from `fromOffset`: from the files, else from the Redis tail; in the dropped range
 * of a capped log, the marker line.
 */
export async function readLogChunk(
  deps: StoreDeps,
  id: string,
  fromOffset = 0,
  maxBytes = READ_LOG_DEFAULT_MAX,
): Promise<LogChunk> {
  await assertJobExists(deps, id);
  if (!Number.isSafeInteger(fromOffset) || fromOffset < 0) {
    throw new AppError('VALIDATION_FAILED', `log offset must be a non-negative integer (got ${fromOffset})`, {
      details: { issues: [{ path: 'offset', message: 'must be a non-negative integer' }] },
    });
  }
  let meta = await logMeta(deps, id);
  for (let i = 0; i < CAS_RETRIES; i += 1) {
    const { size } = meta;
    if (fromOffset >= size || maxBytes <= 0) {
      return { offset: fromOffset, data: Buffer.alloc(0), size };
    }
    const layout = logLayout(meta.max ?? 0);
    const place = locate(layout, size, fromOffset);
    if (place.kind === 'marker') {
      return { offset: place.offset, data: place.data.subarray(0, maxBytes), size };
    }
    const data = await readPlace(deps.dataDir, id, place, Math.min(maxBytes, place.end - place.offset));
    if (data) {
      return { offset: place.offset, data, size };
    }
    // Not on this host, or a segment dropped since the meta was read: look again before the tail.
    const fresh = await logMeta(deps, id);
    const again = locate(layout, fresh.size, fromOffset);
    if (again.kind === place.kind) {
      return fromTail(layout, await readTail(deps, id, fromOffset, maxBytes, fresh.tailStart), maxBytes);
    }
    meta = fresh;
  }
  throw new AppError('JOB_STATE_CONFLICT', `the log of job ${id} kept moving while reading`);
}

/** A chunk read from the Redis tail: cut where the head ends, or the marker in the dropped range. */
function fromTail(layout: LogLayout | undefined, chunk: LogChunk, maxBytes: number): LogChunk {
  const place = locate(layout, chunk.size, chunk.offset);
  if (place.kind === 'marker') {
    return { offset: place.offset, data: place.data.subarray(0, maxBytes), size: chunk.size };
  }
  if (place.kind === 'head') {
    return { ...chunk, data: chunk.data.subarray(0, Math.max(0, place.end - chunk.offset)) };
  }
  return chunk;
}

/** From the Redis tail; the read is checked against a trim that moved the tail in between. */
async function readTail(
  deps: StoreDeps,
  id: string,
  fromOffset: number,
  maxBytes: number,
  tailStartGuess: number,
): Promise<LogChunk> {
  let guess = tailStartGuess;
  for (let i = 0; i < CAS_RETRIES; i += 1) {
    const start = Math.max(fromOffset, guess);
    const rows = (await deps.redis
      .multi()
      .hmget(deps.keys.logMeta(id), 'size', 'tailStart')
      .getrangeBuffer(deps.keys.logTail(id), start - guess, start - guess + maxBytes - 1)
      .exec()) as [[Error | null, (string | null)[]], [Error | null, Buffer]] | null;
    const [meta, range] = rows ?? [];
    const size = Number(meta?.[1][0] ?? 0);
    const tailStart = Number(meta?.[1][1] ?? 0);
    if (tailStart === guess && range) {
      const data = range[1].subarray(0, Math.max(0, size - start));
      return { offset: start, data, size };
    }
    guess = tailStart;
  }
  throw new AppError('JOB_STATE_CONFLICT', `the log tail of job ${id} kept moving while reading`);
}

export async function readLog(
  deps: StoreDeps,
  id: string,
  fromOffset = 0,
  maxBytes?: number,
): Promise<Buffer> {
  return (await readLogChunk(deps, id, fromOffset, maxBytes)).data;
}

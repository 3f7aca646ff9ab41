import { constants } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AppError } from '../errors/app-error';
import { logFilePath } from './job-files';
import { assertJobId, fenceToken, ownershipLost } from './job-io';
import type { LiveMessage } from './live-message';
import { APPEND_LOG, runScript } from './scripts';
import { CAS_RETRIES, type StoreDeps } from './store-deps';

/**
 * The command's output. The file `<dataDir>/jobs/<id>/output.log` is the complete log; Redis keeps
 * `size` (bytes stored, contiguous from offset 0) and a tail of about logTailBytes for readers on
 * another host. Bytes are written to the file first, then `size` moves forward in Redis, so every byte
 * below `size` is readable. One writer per job at a time (the worker that holds the job).
 */
export const READ_LOG_DEFAULT_MAX = 16 * 1024 * 1024;

export interface LogChunk {
  /** Where `data` starts; above the asked offset only when the file is missing and the tail has moved on. */
  offset: number;
  data: Buffer;
  /** Bytes stored when this was read. */
  size: number;
}

async function logMeta(deps: StoreDeps, id: string): Promise<{ size: number; tailStart: number }> {
  const [size, tailStart] = await deps.redis.hmget(deps.keys.logMeta(id), 'size', 'tailStart');
  return { size: Number(size ?? 0), tailStart: Number(tailStart ?? 0) };
}

async function assertJobExists(deps: StoreDeps, id: string): Promise<void> {
  assertJobId(id);
  if ((await deps.redis.exists(deps.keys.job(id))) === 0) {
    throw new AppError('JOB_NOT_FOUND', `no job ${id}`);
  }
}

async function writeAt(path: string, data: Buffer, position: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  // O_CREAT without O_APPEND/O_TRUNC: positional writes into a file that may already hold bytes.
  const file = await open(path, constants.O_RDWR | constants.O_CREAT, 0o640);
  try {
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await file.write(data, written, data.length - written, position + written);
      written += bytesWritten;
    }
  } finally {
    await file.close();
  }
}

/**
 * Store `chunk`, which starts at byte `offset` of the output. Idempotent: bytes already stored are
 * skipped, so a resumed worker may resend any range that starts at or below the stored size. A
 * chunk starting above it would leave a hole and is refused. Returns the stored size afterwards.
 * Appends of one job made through one store run in call order, so a stream handler may call this
 * without awaiting each chunk.
 */
export function appendLog(deps: StoreDeps, id: string, offset: number, chunk: Buffer): Promise<number> {
  const previous = deps.logChains.get(id) ?? Promise.resolve();
  const current = previous.catch(() => undefined).then(() => appendNow(deps, id, offset, chunk));
  deps.logChains.set(id, current);
  const forget = () => {
    if (deps.logChains.get(id) === current) {
      deps.logChains.delete(id);
    }
  };
  current.then(forget, forget);
  return current;
}

async function appendNow(deps: StoreDeps, id: string, offset: number, chunk: Buffer): Promise<number> {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new AppError('INTERNAL', `log offset must be a non-negative integer (got ${offset})`);
  }
  await assertJobExists(deps, id);
  const path = logFilePath(deps.dataDir, id);
  const token = fenceToken(deps, id);
  for (let i = 0; i < CAS_RETRIES; i += 1) {
    if (token !== '' && (await deps.redis.get(deps.keys.lease(id))) !== token) {
      // Checked before the file write too, so a worker that lost the job rarely touches the file;
      // the script below is the atomic check.
      throw ownershipLost(id, 'log append');
    }
    const { size } = await logMeta(deps, id);
    if (offset > size) {
      throw new AppError('INTERNAL', `log chunk at ${offset} would leave a gap after ${size} stored bytes`, {
        details: { jobId: id, offset, size },
      });
    }
    if (offset + chunk.length <= size) {
      return size;
    }
    const fresh = chunk.subarray(size - offset);
    await writeAt(path, fresh, size);
    const message: LiveMessage = { type: 'log', offset: size, length: fresh.length };
    const [applied, newSize] = (await runScript(
      deps.redis,
      APPEND_LOG,
      [deps.keys.logMeta(id), deps.keys.logTail(id), deps.keys.lease(id), deps.keys.job(id)],
      [size, fresh, deps.logTailBytes, deps.keys.channel(id), JSON.stringify(message), token],
    )) as [number, number];
    if (applied === 1) {
      return newSize;
    }
    if (applied === -1) {
      throw ownershipLost(id, 'log append');
    }
    if (applied === -2) {
      throw new AppError('JOB_NOT_FOUND', `no job ${id}`);
    }
  }
  throw new AppError('JOB_STATE_CONFLICT', `the log of job ${id} kept changing while appending`);
}

async function readFileRange(path: string, from: number, length: number): Promise<Buffer | undefined> {
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw error;
  }
  try {
    const buffer = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const { bytesRead } = await file.read(buffer, read, length - read, from + read);
      if (bytesRead === 0) {
        return undefined; // shorter than Redis says: this host does not have the whole file
      }
      read += bytesRead;
    }
    return buffer;
  } finally {
    await file.close();
  }
}

/** Up to `maxBytes` from `fromOffset`: from the file, else from the Redis tail. */
export async function readLogChunk(
  deps: StoreDeps,
  id: string,
  fromOffset = 0,
  maxBytes = READ_LOG_DEFAULT_MAX,
): Promise<LogChunk> {
  await assertJobExists(deps, id);
  const { size, tailStart } = await logMeta(deps, id);
  if (!Number.isSafeInteger(fromOffset) || fromOffset < 0) {
    throw new AppError('VALIDATION_FAILED', `log offset must be a non-negative integer (got ${fromOffset})`, {
      details: { issues: [{ path: 'offset', message: 'must be a non-negative integer' }] },
    });
  }
  if (fromOffset >= size || maxBytes <= 0) {
    return { offset: fromOffset, data: Buffer.alloc(0), size };
  }
  const length = Math.min(maxBytes, size - fromOffset);
  const fromFile = await readFileRange(logFilePath(deps.dataDir, id), fromOffset, length);
  if (fromFile) {
    return { offset: fromOffset, data: fromFile, size };
  }
  return readTail(deps, id, fromOffset, maxBytes, tailStart);
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

export async function logSize(deps: StoreDeps, id: string): Promise<number> {
  await assertJobExists(deps, id);
  return (await logMeta(deps, id)).size;
}

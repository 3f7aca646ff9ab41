import { AppError } from '../errors/app-error';
import { fenceToken, ownershipLost } from './job-io';
import { addInfo } from './job-writes';
import type { LiveMessage } from './live-message';
import { dropSegments, writeLogBytes } from './log-files';
import { keptFrom, type LogLayout, logLayout } from './log-layout';
import { assertJobExists, type LogMeta, logMeta } from './log-meta';
import { APPEND_LOG, runScript } from './scripts';
import { CAS_RETRIES, type StoreDeps } from './store-deps';

/*
 * The command's output. Its files under `<dataDir>/jobs/<id>/` hold it all, or under LOG_MAX_BYTES
 * its head and kept tail (log-layout.ts, docs/decisions/0130); Redis keeps the log meta (`size`:
 * bytes stored, contiguous from offset 0, the dropped ones counted; `tailStart`; `max`: the layout;
 * `cursor`: the writer's resume point) and a tail of about logTailBytes for readers on another host.
 * Bytes are written to the files first, then `size` moves forward in Redis, so every kept byte below
 * `size` is readable. One writer per job at a time (the worker that holds the job). Reads: log-reads.ts.
 */

/**
 * The layout the first append fixes: this store's LOG_MAX_BYTES, or no cap for a log an older
 * version began that is already past the head (its bytes are all in output.log).
 */
function layoutMax(deps: StoreDeps, meta: LogMeta): number {
  if (meta.max !== undefined) {
    return meta.max;
  }
  const fresh = logLayout(deps.logMaxBytes);
  return fresh === undefined || meta.size <= fresh.head ? deps.logMaxBytes : 0;
}

/**
 * Store `chunk`, which starts at byte `offset` of the output. Idempotent: bytes already stored are
 * skipped, so a resumed worker may resend any range that starts at or below the stored size. A
 * chunk starting above it would leave a hole and is refused. With a `cursor` (the writer's resume
 * point after this chunk, opaque here) the cursor is stored in the same step as the bytes, also for
 * an empty chunk at the stored size. Returns the stored size afterwards. Appends of one job made
 * through one store run in call order, so a stream handler may call this without awaiting each chunk.
 */
export function appendLog(
  deps: StoreDeps,
  id: string,
  offset: number,
  chunk: Buffer,
  cursor?: string,
): Promise<number> {
  const previous = deps.logChains.get(id) ?? Promise.resolve();
  const current = previous.catch(() => undefined).then(() => appendNow(deps, id, offset, chunk, cursor));
  deps.logChains.set(id, current);
  const forget = () => {
    if (deps.logChains.get(id) === current) {
      deps.logChains.delete(id);
    }
  };
  current.then(forget, forget);
  return current;
}

async function appendNow(
  deps: StoreDeps,
  id: string,
  offset: number,
  chunk: Buffer,
  cursor: string | undefined,
): Promise<number> {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new AppError('INTERNAL', `log offset must be a non-negative integer (got ${offset})`);
  }
  await assertJobExists(deps, id);
  const token = fenceToken(deps, id);
  for (let i = 0; i < CAS_RETRIES; i += 1) {
    if (token !== '' && (await deps.redis.get(deps.keys.lease(id))) !== token) {
      // Checked before the file write too, so a worker that lost the job rarely touches the file;
      // the script below is the atomic check.
      throw ownershipLost(id, 'log append');
    }
    const meta = await logMeta(deps, id);
    const { size } = meta;
    if (offset > size) {
      throw new AppError('INTERNAL', `log chunk at ${offset} would leave a gap after ${size} stored bytes`, {
        details: { jobId: id, offset, size },
      });
    }
    const fresh = chunk.subarray(Math.min(chunk.length, size - offset));
    const cursorOnly = cursor !== undefined && offset + chunk.length === size;
    if (fresh.length === 0 && !cursorOnly) {
      return size;
    }
    const max = layoutMax(deps, meta);
    const layout = logLayout(max);
    if (fresh.length > 0) {
      await writeLogBytes(deps.dataDir, id, layout, size, fresh);
    }
    const message: LiveMessage = { type: 'log', offset: size, length: fresh.length };
    const [applied, newSize] = (await runScript(
      deps.redis,
      APPEND_LOG,
      [deps.keys.logMeta(id), deps.keys.logTail(id), deps.keys.lease(id), deps.keys.job(id)],
      [
        size,
        fresh,
        deps.logTailBytes,
        deps.keys.channel(id),
        JSON.stringify(message),
        token,
        max,
        cursor ?? '',
      ],
    )) as [number, number];
    if (applied === 1) {
      await afterDrop(deps, id, layout, size, newSize);
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

/** When this append dropped bytes: delete the dropped segments; on the first drop, say so in the history. */
async function afterDrop(
  deps: StoreDeps,
  id: string,
  layout: LogLayout | undefined,
  before: number,
  after: number,
): Promise<void> {
  if (layout === undefined || keptFrom(layout, after) === keptFrom(layout, before)) {
    return;
  }
  await dropSegments(deps.dataDir, id, keptFrom(layout, after));
  if (keptFrom(layout, before) === layout.head) {
    await addInfo(
      deps,
      id,
      `the log passed LOG_MAX_BYTES (${layout.max} bytes): its first ${layout.head} bytes and about its last ` +
        `${layout.tail} are kept, and a marker line in the log says how many bytes were dropped between them`,
    );
  }
}

/** The writer's cursor stored with the last append (see appendLog) and the stored size it goes with. */
export async function logCursor(
  deps: StoreDeps,
  id: string,
): Promise<{ size: number; cursor: string | undefined }> {
  await assertJobExists(deps, id);
  const { size, cursor } = await logMeta(deps, id);
  return { size, cursor };
}

export async function logSize(deps: StoreDeps, id: string): Promise<number> {
  await assertJobExists(deps, id);
  return (await logMeta(deps, id)).size;
}

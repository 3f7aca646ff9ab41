import { constants } from 'node:fs';
import { mkdir, open, readdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { logFilePath, logSegmentPath, logTailDir, segmentStartOf } from './job-files';
import { keptFrom, type LogLayout, type LogPlace, segmentStart } from './log-layout';

/** The log's files of one job: output.log (the head) and the tail's segments (log-layout.ts). */

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
 * Write `data`, the log from offset `from`, to its files, skipping what a log of `newSize` bytes no
 * longer keeps. Positional and idempotent: a resent range writes the same bytes again.
 */
export async function writeLogBytes(
  dataDir: string,
  id: string,
  layout: LogLayout | undefined,
  from: number,
  data: Buffer,
): Promise<void> {
  if (layout === undefined) {
    await writeAt(logFilePath(dataDir, id), data, from);
    return;
  }
  const newSize = from + data.length;
  let offset = from;
  if (offset < layout.head) {
    const length = Math.min(data.length, layout.head - offset);
    await writeAt(logFilePath(dataDir, id), data.subarray(0, length), offset);
    offset += length;
  }
  offset = Math.max(offset, keptFrom(layout, newSize));
  while (offset < newSize) {
    const start = segmentStart(layout, offset);
    const end = Math.min(newSize, start + layout.segment);
    await writeAt(
      logSegmentPath(dataDir, id, start),
      data.subarray(offset - from, end - from),
      offset - start,
    );
    offset = end;
  }
}

/** Delete the tail segments below `kept` (all of them dropped; leftovers of a crash included). */
export async function dropSegments(dataDir: string, id: string, kept: number): Promise<void> {
  let names: string[];
  try {
    names = await readdir(logTailDir(dataDir, id));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return;
    }
    throw error;
  }
  for (const name of names) {
    const start = segmentStartOf(name);
    if (start !== undefined && start < kept) {
      await unlink(logSegmentPath(dataDir, id, start)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') {
          throw error;
        }
      });
    }
  }
}

/** Up to `length` bytes of a head or segment place; undefined when this host lacks them (or they were dropped). */
export async function readPlace(
  dataDir: string,
  id: string,
  place: Exclude<LogPlace, { kind: 'marker' }>,
  length: number,
): Promise<Buffer | undefined> {
  const [path, position] =
    place.kind === 'head'
      ? [logFilePath(dataDir, id), place.offset]
      : [logSegmentPath(dataDir, id, place.start), place.offset - place.start];
  return readFileRange(path, position, length);
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

import { join } from 'node:path';

/** `<dataDir>/jobs/<id>`: the job's files on disk (its log and its collected outputs). */
export function jobDir(dataDir: string, id: string): string {
  return join(dataDir, 'jobs', id);
}

/**
 * The output of the job's command: all of it, or under LOG_MAX_BYTES its first half (the head; the
 * kept tail is in the segments below, docs/decisions/0130).
 */
export function logFilePath(dataDir: string, id: string): string {
  return join(jobDir(dataDir, id), 'output.log');
}

/** `<jobDir>/output-tail`: the kept tail of a log that outgrew its head, one file per segment. */
export function logTailDir(dataDir: string, id: string): string {
  return join(jobDir(dataDir, id), 'output-tail');
}

/** The segment file that holds the log from offset `start` (named by it, 16 digits: names sort as offsets). */
export function logSegmentPath(dataDir: string, id: string, start: number): string {
  return join(logTailDir(dataDir, id), `${String(start).padStart(16, '0')}.log`);
}

/** The start offset of a segment file name, or undefined for another name. */
export function segmentStartOf(name: string): number | undefined {
  const match = /^(\d{16})\.log$/.exec(name);
  return match === null ? undefined : Number(match[1]);
}

/**
 * `<dataDir>/jobs/<id>/outputs`: the worker collects each output file to `<this>/<container path
 * without its leading />`; the API serves them from here (apps/api/src/outputs).
 */
export function outputsDir(dataDir: string, id: string): string {
  return join(jobDir(dataDir, id), 'outputs');
}

import { join } from 'node:path';

/** `<dataDir>/jobs/<id>`: the job's files on disk (its log and its collected outputs). */
export function jobDir(dataDir: string, id: string): string {
  return join(dataDir, 'jobs', id);
}

/** The complete output of the job's command. */
export function logFilePath(dataDir: string, id: string): string {
  return join(jobDir(dataDir, id), 'output.log');
}

/**
 * `<dataDir>/jobs/<id>/outputs`: the worker collects each output file to `<this>/<container path
 * without its leading />`; the API serves them from here (apps/api/src/outputs).
 */
export function outputsDir(dataDir: string, id: string): string {
  return join(jobDir(dataDir, id), 'outputs');
}

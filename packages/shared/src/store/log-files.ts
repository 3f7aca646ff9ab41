import { join } from 'node:path';

/** `<dataDir>/jobs/<id>`: the job's files (its log; the worker puts collected outputs here too). */
export function jobDir(dataDir: string, id: string): string {
  return join(dataDir, 'jobs', id);
}

/** The complete output of the job's command. */
export function logFilePath(dataDir: string, id: string): string {
  return join(jobDir(dataDir, id), 'output.log');
}

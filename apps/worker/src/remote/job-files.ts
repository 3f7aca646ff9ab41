import { posix } from 'node:path';
import { AppError } from '@clore-batch/shared';

/**
 * What a job directory on the server holds. The directory is the job's whole remote state: any
 * worker can read it to learn whether the command started, runs, or ended and how.
 */
export const JOB_FILES = {
  /** Directory created atomically (mkdir) by the one start that wins: the start claim. */
  launched: 'launched',
  /** The supervisor script (no secrets). */
  wrapper: 'wrapper.sh',
  /** The script that runs in the command's own session: records pgid, loads env, execs the command. */
  run: 'run.sh',
  /** Environment (mode 600), deleted by its own first line while it is being loaded. */
  env: 'env',
  /** The wrapper's pid (to tell a running wrapper from a dead one). */
  pid: 'pid',
  /** The command's process group id (= its session id). */
  pgid: 'pgid',
  /** The command's stdout and stderr, appended. */
  log: 'output.log',
  /** The command's exit status, written atomically once it has ended. */
  exitCode: 'exit_code',
  /** Marker: the server-side timeout fired. */
  timedOut: 'timed_out',
  /** Marker: stopCommand asked the command to stop (a cancel). */
  stopped: 'stopped',
  /** The unpacked workdir upload, the command's working directory (pushWorkdir). */
  workdir: 'workdir',
  /** Marker: the workdir was unpacked completely (written after the rename that puts it in place). */
  workdirDone: 'workdir.done',
} as const;

/** A job directory must be an absolute, normalised path below `/` (it ends up in `rm -rf`). */
export function assertJobDir(jobDir: string): void {
  const ok =
    jobDir.startsWith('/') &&
    posix.normalize(jobDir) === jobDir &&
    !jobDir.endsWith('/') &&
    jobDir.split('/').filter(Boolean).length >= 2 &&
    !jobDir.includes('\0') &&
    !jobDir.includes('\n');
  if (!ok) {
    throw new AppError(
      'VALIDATION_FAILED',
      `job dir ${JSON.stringify(jobDir)} must be an absolute normalised path at least two levels deep`,
    );
  }
}

export function jobFile(jobDir: string, name: keyof typeof JOB_FILES): string {
  return `${jobDir}/${JOB_FILES[name]}`;
}

import { classifyCloreError } from '@clore-batch/clore';
import { errorCodeOf, type FailureReason } from '@clore-batch/shared';
import { AttemptOver, CancelRequested, NextServer, WorkerStopping } from './control';

/** What happens after an error inside an attempt (style.md 5: one exhaustive mapping). */
export type ErrorAction =
  /** Leave the job, its order and its command alone: another worker resumes it. */
  | { kind: 'leave'; message: string }
  /** The record changed under this worker: re-read it and go on from what it says. */
  | { kind: 'reread'; message: string }
  /** Redis (the store) failed: not the job's fault; the driver is run again from the store. */
  | { kind: 'rethrow'; message: string }
  /** The user cancelled: stop the command, release, `cancelled`. */
  | { kind: 'cancel'; message: string }
  /** The attempt ends for `reason`: release, then retry (retryable reason, attempts left) or fail. */
  | { kind: 'end_attempt'; reason: FailureReason; message: string };

function assertNever(value: never): never {
  throw new Error(`unhandled case ${String(value)}`);
}

type ErrorKind =
  | 'stopping'
  | 'cancel'
  | 'attempt_over'
  | 'next_server'
  | 'ssh'
  | 'outputs'
  | 'outputs_too_large'
  | 'clore'
  | 'job_conflict'
  | 'secret'
  | 'store_down'
  | 'other';

function kindOf(error: unknown): ErrorKind {
  if (error instanceof WorkerStopping || (error as { name?: unknown } | null)?.name === 'WorkerStopping') {
    return 'stopping';
  }
  if (error instanceof CancelRequested) {
    return 'cancel';
  }
  if (error instanceof AttemptOver) {
    return 'attempt_over';
  }
  if (error instanceof NextServer) {
    return 'next_server';
  }
  const code = errorCodeOf(error);
  switch (code) {
    case 'SSH_ERROR':
      return 'ssh';
    case 'OUTPUT_TOO_LARGE':
      return 'outputs_too_large';
    case 'OUTPUT_PATH_INVALID':
      return 'outputs';
    case 'CLORE_API_ERROR':
    case 'CLORE_RATE_LIMITED':
    case 'CLORE_AUTH_FAILED':
    case 'CLORE_TRANSPORT_ERROR':
    case 'CLORE_TIMEOUT':
    case 'CLORE_BAD_RESPONSE':
      return 'clore';
    case 'JOB_STATE_CONFLICT':
    case 'JOB_INVALID_TRANSITION':
      return 'job_conflict';
    case 'SECRET_DECRYPT_FAILED':
      return 'secret';
    case 'REDIS_UNAVAILABLE':
      return 'store_down';
    default:
      return isRedisFailure(error) ? 'store_down' : 'other';
  }
}

/** ioredis' own failures (they carry no AppError code). */
function isRedisFailure(error: unknown): boolean {
  const e = error as { name?: unknown; message?: unknown } | null;
  return (
    e?.name === 'MaxRetriesPerRequestError' ||
    (typeof e?.message === 'string' && /^(Connection is closed|Stream isn't writeable)/.test(e.message))
  );
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Classify an error thrown inside an attempt: what the lifecycle does next. */
export function classifyError(error: unknown): ErrorAction {
  const kind = kindOf(error);
  const message = messageOf(error);
  switch (kind) {
    case 'stopping':
      return { kind: 'leave', message };
    case 'job_conflict':
      // The record moved on (a lost race): re-read it; the guarded writes never overwrite.
      return { kind: 'reread', message: `the job changed under this worker: ${message}` };
    case 'store_down':
      return { kind: 'rethrow', message };
    case 'cancel':
      return { kind: 'cancel', message };
    case 'attempt_over':
      return { kind: 'end_attempt', reason: (error as AttemptOver).reason, message };
    case 'next_server':
      return { kind: 'end_attempt', reason: 'provider_error', message };
    case 'ssh':
      return { kind: 'end_attempt', reason: 'ssh_error', message };
    case 'outputs':
      // The job's own outputs broke the rules: not retryable, the command's doing.
      return { kind: 'end_attempt', reason: 'command_failed', message };
    case 'outputs_too_large':
      // Too many files or levels to even list (the byte cap is decided after collecting: collect.ts).
      return { kind: 'end_attempt', reason: 'outputs_too_large', message };
    case 'clore': {
      const cls = classifyCloreError(error);
      const reason: FailureReason =
        cls.action === 'fail_job' ? (cls.jobReason ?? 'provider_error') : 'provider_error';
      return { kind: 'end_attempt', reason, message };
    }
    case 'secret':
      return { kind: 'end_attempt', reason: 'internal', message };
    case 'other':
      return { kind: 'end_attempt', reason: 'internal', message };
    default:
      return assertNever(kind);
  }
}

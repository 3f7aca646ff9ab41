import { AppError } from '../errors/app-error';
import { ATTEMPT_PHASES, attemptPhaseOf } from '../state/attempt-phase';
import { type FailureReason, isRetryableReason, REASON_TEXT } from '../state/failure-reason';
import { isTerminal } from '../state/job-state';
import { attemptsLeft, attemptsUsed } from '../state/retry-policy';
import { type JobEvent, transition } from '../state/transitions';
import { totalCost } from './job-io';
import { type JobRecord, JobRecordSchema } from './job-record';

/** Fields a non-state update may change (everything else belongs to transitions). */
export type JobPatch = Partial<Pick<JobRecord, 'attempts' | 'outputs' | 'webhookDeliveries'>>;

export interface TransitionOptions {
  /** Fail with JOB_STATE_CONFLICT unless the job is in this state (the caller's view). */
  expectedState?: JobRecord['state'];
  /** Fail with JOB_STATE_CONFLICT unless the record is at this version. */
  expectedVersion?: number;
  /** Required for `fail` (the job's reason) and `retry` (why the attempt ended; must be retryable). */
  reason?: FailureReason;
  /** Required for `command_exited`: the command's exit code, or null when it had none (killed). */
  exitCode?: number | null;
  /** The history line; a default is written when absent. */
  message?: string;
  /** Changes written in the same step (e.g. closing the current attempt). */
  patch?: JobPatch | ((job: JobRecord) => JobPatch);
}

/** Info events past this many are dropped (state events never are): a chatty worker must not grow a record without bound. */
export const MAX_INFO_EVENTS = 500;

function invalid(job: JobRecord, event: JobEvent, why: string): AppError {
  return new AppError('JOB_INVALID_TRANSITION', `job ${job.id}: ${event} from ${job.state}: ${why}`, {
    details: { from: job.state, event },
  });
}

function defaultMessage(job: JobRecord, event: JobEvent, options: TransitionOptions): string {
  const reason = options.reason === undefined ? '' : `: ${REASON_TEXT[options.reason]}`;
  switch (event) {
    case 'dispatch':
      return 'a worker took the job and is choosing a server';
    case 'provisioned':
      return `the server is up; the command started (attempt ${job.attempts.length})`;
    case 'command_exited':
      return options.exitCode === null
        ? 'the command ended without an exit code'
        : `the command exited with code ${options.exitCode}`;
    case 'succeed':
      return 'outputs collected; the job succeeded';
    case 'fail':
      return `the job failed${reason}`;
    case 'retry':
      return `attempt ${attemptsUsed(job)} of ${job.spec.maxAttempts} ended${reason}; trying another server`;
    case 'cancel':
      return 'the job was cancelled';
  }
}

function check(job: JobRecord, event: JobEvent, options: TransitionOptions): void {
  if (event === 'fail' && options.reason === undefined) {
    throw invalid(job, event, 'a failure needs a reason');
  }
  if (event === 'retry') {
    if (options.reason === undefined || !isRetryableReason(options.reason)) {
      throw invalid(job, event, `retry needs a retryable reason (got ${options.reason ?? 'none'})`);
    }
    if (attemptsLeft(job) === 0) {
      throw invalid(job, event, `all ${job.spec.maxAttempts} attempts are used`);
    }
  }
  if (event === 'command_exited' && options.exitCode === undefined) {
    throw invalid(job, event, 'the exit code (or null) is required');
  }
  if (event === 'succeed' && job.exitCode !== 0) {
    throw invalid(job, event, `the command exited with ${String(job.exitCode)}, not 0`);
  }
}

function applyPatch(job: JobRecord, patch: JobPatch): void {
  if (patch.attempts !== undefined) {
    job.attempts = patch.attempts;
  }
  if (patch.outputs !== undefined) {
    job.outputs = patch.outputs;
  }
  if (patch.webhookDeliveries !== undefined) {
    job.webhookDeliveries = patch.webhookDeliveries;
  }
}

/** The record after `event` (pure): state from the state machine, a `state` history event, times. */
export function nextAfterTransition(
  job: JobRecord,
  event: JobEvent,
  options: TransitionOptions,
  now: Date,
): JobRecord {
  const to = transition(job.state, event);
  check(job, event, options);
  const at = now.toISOString();
  const next = structuredClone(job);
  if (options.patch) {
    applyPatch(
      next,
      typeof options.patch === 'function' ? options.patch(structuredClone(job)) : options.patch,
    );
  }
  const message = options.message ?? defaultMessage(next, event, options);
  next.state = to;
  if (event === 'fail') {
    next.reason = options.reason;
  }
  if (event === 'command_exited') {
    next.exitCode = options.exitCode;
  }
  if (event === 'retry') {
    delete next.exitCode;
  }
  if (job.state === 'queued' && next.startedAt === undefined) {
    next.startedAt = at;
  }
  if (isTerminal(to)) {
    next.finishedAt = at;
  }
  next.message = message;
  next.events.push({
    at,
    type: 'state',
    from: job.state,
    to,
    event,
    ...(options.reason === undefined ? {} : { reason: options.reason }),
    ...(event === 'command_exited' ? { exitCode: options.exitCode ?? null } : {}),
    message,
  });
  return finish(next, job, at);
}

const FROZEN: ReadonlyArray<keyof JobRecord> = [
  'id',
  'owner',
  'spec',
  'state',
  'reason',
  'exitCode',
  'message',
  'createdAt',
  'startedAt',
  'finishedAt',
  'cancelRequestedAt',
  'version',
];

/**
 * The record after a non-state update (pure). The mutation may change attempts, outputs and webhook
 * deliveries, and append `info` events; anything else is a programming error.
 */
export function nextAfterUpdate(job: JobRecord, mutated: JobRecord, now: Date): JobRecord {
  for (const key of FROZEN) {
    if (JSON.stringify(mutated[key]) !== JSON.stringify(job[key])) {
      throw new AppError('INTERNAL', `update() may not change ${key} of job ${job.id} (use transition)`);
    }
  }
  const before = JSON.stringify(job.events);
  if (JSON.stringify(mutated.events.slice(0, job.events.length)) !== before) {
    throw new AppError('INTERNAL', `update() may only append events to job ${job.id}`);
  }
  const added = mutated.events.slice(job.events.length);
  if (added.some((event) => event.type !== 'info')) {
    throw new AppError('INTERNAL', `update() may only append info events to job ${job.id}`);
  }
  const infoCount = job.events.filter((event) => event.type === 'info').length;
  const next = {
    ...mutated,
    events: [...job.events, ...added.slice(0, Math.max(0, MAX_INFO_EVENTS - infoCount))],
  };
  return finish(next, job, now.toISOString());
}

/**
 * Whatever write changed them (a named attempt write, `update`, a transition's `patch`), attempts
 * are never removed or renumbered and an attempt's phase never goes back (an ended attempt is never
 * re-opened): JOB_INVALID_TRANSITION.
 */
function checkAttempts(prev: JobRecord, next: JobRecord): void {
  if (next.attempts.length < prev.attempts.length) {
    throw new AppError('JOB_INVALID_TRANSITION', `job ${prev.id}: attempts may not be removed`);
  }
  prev.attempts.forEach((before, i) => {
    const after = next.attempts[i];
    const from = attemptPhaseOf(before);
    const to = after === undefined ? from : attemptPhaseOf(after);
    if (after?.n !== before.n || ATTEMPT_PHASES.indexOf(to) < ATTEMPT_PHASES.indexOf(from)) {
      throw new AppError(
        'JOB_INVALID_TRANSITION',
        `job ${prev.id}: attempt ${before.n} may not go back from ${from} to ${to}`,
        { details: { attempt: before.n, phase: from, to } },
      );
    }
  });
}

/** Version, time and cost, then a schema check so a bad write never reaches Redis. */
function finish(next: JobRecord, prev: JobRecord, at: string): JobRecord {
  checkAttempts(prev, next);
  next.version = prev.version + 1;
  next.updatedAt = at;
  next.costUsd = totalCost(next);
  const parsed = JobRecordSchema.safeParse(next);
  if (!parsed.success) {
    throw new AppError('INTERNAL', `job ${prev.id}: the new record is invalid: ${parsed.error.message}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

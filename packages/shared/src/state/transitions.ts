import { AppError } from '../errors/app-error';
import { JobState } from './job-state';

/**
 * The job state machine: every legal (state, event) pair and where it leads. Nothing else decides
 * a job's next state; the store persists the result with a compare-and-set. job-states.mmd is the
 * same table drawn (a test keeps them equal).
 *
 * - dispatch: a worker takes a queued job and starts choosing a server.
 * - provisioned: the rented server runs and answers SSH; the command starts.
 * - command_exited: the command ended (any exit code, or none after a kill); outputs are collected
 *   after a failing command too.
 * - succeed: outputs collected and the command exited 0.
 * - fail: the job ends for a `FailureReason` (required by the store).
 * - retry: the attempt ended for an infrastructure reason; a new attempt starts provisioning.
 * - cancel: the user's cancel took effect (the rental is released by the worker).
 */
export const JOB_EVENTS = [
  'dispatch',
  'provisioned',
  'command_exited',
  'succeed',
  'fail',
  'retry',
  'cancel',
] as const;

export type JobEvent = (typeof JOB_EVENTS)[number];

const { provisioning, running, collecting, succeeded, failed, cancelled } = JobState;

export const TRANSITIONS: Readonly<Record<JobState, Readonly<Partial<Record<JobEvent, JobState>>>>> = {
  queued: { dispatch: provisioning, fail: failed, cancel: cancelled },
  provisioning: { provisioned: running, retry: provisioning, fail: failed, cancel: cancelled },
  running: { command_exited: collecting, retry: provisioning, fail: failed, cancel: cancelled },
  collecting: { succeed: succeeded, retry: provisioning, fail: failed, cancel: cancelled },
  succeeded: {},
  failed: {},
  cancelled: {},
};

export function isJobEvent(value: unknown): value is JobEvent {
  return typeof value === 'string' && (JOB_EVENTS as readonly string[]).includes(value);
}

/** The events `from` accepts. */
export function allowedEvents(from: JobState): JobEvent[] {
  return JOB_EVENTS.filter((event) => TRANSITIONS[from][event] !== undefined);
}

export function canTransition(from: JobState, event: JobEvent): boolean {
  return TRANSITIONS[from][event] !== undefined;
}

/** The state `event` leads to from `from`, or `AppError('JOB_INVALID_TRANSITION')`. */
export function transition(from: JobState, event: JobEvent): JobState {
  const to = TRANSITIONS[from][event];
  if (to === undefined) {
    const allowed = allowedEvents(from);
    const hint = allowed.length === 0 ? `${from} is terminal` : `${from} accepts ${allowed.join(', ')}`;
    throw new AppError('JOB_INVALID_TRANSITION', `a ${from} job cannot take the event ${event} (${hint})`, {
      details: { from, event },
    });
  }
  return to;
}

import { AppError } from '../errors/app-error';

/**
 * The attempt's phases: a state machine beside the job's (transitions.ts), read from the fields the
 * attempt record already has (no phase field is stored: the record cannot disagree with itself).
 * The store's named attempt writes (attemptReady, attemptLogOffset, attemptSpent, attemptDecided,
 * attemptEnded) apply these events and refuse any other change with JOB_INVALID_TRANSITION.
 * packages/shared/README.md "Attempt phases" draws the same table (a test keeps them equal).
 *
 * - intent: recorded without an order id (an order may be being created: the fleet's intent).
 * - bound: the order id is known (`orderId`); money is being spent.
 * - ready: the server runs and answered SSH (`readyAt`, address, pinned host key).
 * - launched: the command was started and its log is followed (`logOffset`, bytes stored).
 * - decided: why the attempt ends is recorded (`endReason`), before its order is released.
 * - ended: the order is released and the final cost recorded (`endedAt`, `spentUsd`).
 */
export const ATTEMPT_PHASES = ['intent', 'bound', 'ready', 'launched', 'decided', 'ended'] as const;
export type AttemptPhase = (typeof ATTEMPT_PHASES)[number];

/**
 * - bind: the order id became known.
 * - ready: the server answers SSH.
 * - launch: the first log offset is stored (the command runs).
 * - decide: the end reason is stored (any phase before decided: e.g. the order never came up).
 * - end: the order is released; the final spend is stored.
 */
export const ATTEMPT_EVENTS = ['bind', 'ready', 'launch', 'decide', 'end'] as const;
export type AttemptEvent = (typeof ATTEMPT_EVENTS)[number];

export const ATTEMPT_TRANSITIONS: Readonly<
  Record<AttemptPhase, Readonly<Partial<Record<AttemptEvent, AttemptPhase>>>>
> = {
  intent: { bind: 'bound', decide: 'decided' },
  bound: { ready: 'ready', decide: 'decided' },
  ready: { launch: 'launched', decide: 'decided' },
  launched: { decide: 'decided' },
  decided: { end: 'ended' },
  ended: {},
};

/** Phases whose attempt may hold an order that is still billing (every phase but `ended`). */
export function isAttemptOpen(phase: AttemptPhase): boolean {
  return phase !== 'ended';
}

/** The attempt fields a phase is read from. */
export interface AttemptPhaseFields {
  orderId?: number | undefined;
  readyAt?: string | undefined;
  logOffset?: number | undefined;
  endReason?: string | undefined;
  endedAt?: string | undefined;
}

/** The phase an attempt record is in, read from its fields (the latest phase wins). */
export function attemptPhaseOf(attempt: AttemptPhaseFields): AttemptPhase {
  if (attempt.endedAt !== undefined) {
    return 'ended';
  }
  if (attempt.endReason !== undefined) {
    return 'decided';
  }
  if (attempt.logOffset !== undefined) {
    return 'launched';
  }
  if (attempt.readyAt !== undefined) {
    return 'ready';
  }
  if (attempt.orderId !== undefined) {
    return 'bound';
  }
  return 'intent';
}

export function allowedAttemptEvents(from: AttemptPhase): AttemptEvent[] {
  return ATTEMPT_EVENTS.filter((event) => ATTEMPT_TRANSITIONS[from][event] !== undefined);
}

/** The phase `event` leads to from `from`, or AppError('JOB_INVALID_TRANSITION'). */
export function attemptTransition(
  from: AttemptPhase,
  event: AttemptEvent,
  what = 'an attempt',
): AttemptPhase {
  const to = ATTEMPT_TRANSITIONS[from][event];
  if (to === undefined) {
    const allowed = allowedAttemptEvents(from);
    const hint = allowed.length === 0 ? `${from} is final` : `${from} accepts ${allowed.join(', ')}`;
    throw new AppError('JOB_INVALID_TRANSITION', `${what} in phase ${from} cannot take ${event} (${hint})`, {
      details: { phase: from, event },
    });
  }
  return to;
}

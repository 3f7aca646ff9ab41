import { AppError } from '../errors/app-error';
import {
  type AttemptEvent,
  type AttemptPhase,
  attemptPhaseOf,
  attemptTransition,
} from '../state/attempt-phase';
import type { Attempt, AttemptEndReason, JobRecord } from './job-record';
import { updateJob } from './job-writes';
import type { StoreDeps } from './store-deps';

/**
 * The attempt's named writes: each one is an event of the attempt phase machine
 * (state/attempt-phase.ts), checked against the phase the stored record is in, inside the same
 * compare-and-set as the write (and fenced by the worker's lease like every worker write). An illegal
 * phase change is JOB_INVALID_TRANSITION and writes nothing. They replace `patchAttempt`.
 */

/** What the server's readiness records. */
export interface AttemptReadyFields {
  host: string;
  sshPort: number;
  /** The pinned host key. */
  hostKey: string;
  /** ISO time; default now. */
  readyAt?: string;
}

/** What the end of an attempt records. */
export interface AttemptEndFields {
  /** ISO time; default now. */
  endedAt?: string;
  /** The final cost of the attempt; the stored figure never goes down. */
  spentUsd: number;
}

function changeAttempt(
  deps: StoreDeps,
  id: string,
  n: number,
  change: (attempt: Attempt, phase: AttemptPhase, step: (event: AttemptEvent) => void) => Attempt,
): Promise<JobRecord> {
  return updateJob(deps, id, (job) => {
    const index = job.attempts.findIndex((attempt) => attempt.n === n);
    const attempt = job.attempts[index];
    if (!attempt) {
      throw new AppError('INTERNAL', `job ${id} has no attempt ${n}`);
    }
    const phase = attemptPhaseOf(attempt);
    const step = (event: AttemptEvent) => {
      attemptTransition(phase, event, `attempt ${n} of job ${id}`);
    };
    job.attempts[index] = { ...change(attempt, phase, step), n };
  });
}

function refuse(id: string, n: number, phase: AttemptPhase, what: string): AppError {
  return new AppError('JOB_INVALID_TRANSITION', `attempt ${n} of job ${id} in phase ${phase}: ${what}`, {
    details: { phase },
  });
}

function usd(value: number, what: string): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new AppError('INTERNAL', `${what} must be a finite amount >= 0 (got ${value})`);
  }
  return value;
}

/** intent → bound: the order id became known. */
export function attemptBound(deps: StoreDeps, id: string, n: number, orderId: number): Promise<JobRecord> {
  return changeAttempt(deps, id, n, (attempt, _phase, step) => {
    step('bind');
    return { ...attempt, orderId };
  });
}

/** bound → ready: the server answers SSH; its address and pinned host key are recorded. */
export function attemptReady(
  deps: StoreDeps,
  id: string,
  n: number,
  fields: AttemptReadyFields,
): Promise<JobRecord> {
  const readyAt = fields.readyAt ?? deps.now().toISOString();
  return changeAttempt(deps, id, n, (attempt, _phase, step) => {
    step('ready');
    return { ...attempt, host: fields.host, sshPort: fields.sshPort, hostKey: fields.hostKey, readyAt };
  });
}

/**
 * Bytes of the command's output stored so far (the resume point). The first one moves ready →
 * launched; later ones (launched, and decided while the rest of the log is saved) only move forward
 * (a smaller offset keeps the stored one).
 */
export async function attemptLogOffset(
  deps: StoreDeps,
  id: string,
  n: number,
  offset: number,
): Promise<JobRecord> {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new AppError('INTERNAL', `a log offset must be a non-negative integer (got ${offset})`);
  }
  return changeAttempt(deps, id, n, (attempt, phase, step) => {
    if (phase === 'ready') {
      step('launch');
    } else if (phase !== 'launched' && phase !== 'decided') {
      throw refuse(id, n, phase, 'a log offset needs a launched command');
    }
    return { ...attempt, logOffset: Math.max(attempt.logOffset ?? 0, offset) };
  });
}

/** What the attempt has cost so far (budget watch): any phase before ended; never goes down. */
export async function attemptSpent(
  deps: StoreDeps,
  id: string,
  n: number,
  spentUsd: number,
): Promise<JobRecord> {
  usd(spentUsd, 'spentUsd');
  return changeAttempt(deps, id, n, (attempt, phase) => {
    if (phase === 'ended') {
      throw refuse(id, n, phase, 'the final cost is recorded; spend can no longer change');
    }
    return { ...attempt, spentUsd: Math.max(attempt.spentUsd, spentUsd) };
  });
}

/**
 * → decided: why the attempt ends, stored before its order is released. Deciding a decided attempt
 * again keeps the first reason (a resumed worker finishes the same way); an ended one is refused.
 */
export function attemptDecided(
  deps: StoreDeps,
  id: string,
  n: number,
  endReason: AttemptEndReason,
): Promise<JobRecord> {
  return changeAttempt(deps, id, n, (attempt, phase, step) => {
    if (phase === 'decided') {
      return attempt;
    }
    step('decide');
    return { ...attempt, endReason };
  });
}

/** decided → ended: the order is released; the final cost is recorded (never below the stored one). */
export async function attemptEnded(
  deps: StoreDeps,
  id: string,
  n: number,
  fields: AttemptEndFields,
): Promise<JobRecord> {
  usd(fields.spentUsd, 'spentUsd');
  const endedAt = fields.endedAt ?? deps.now().toISOString();
  return changeAttempt(deps, id, n, (attempt, _phase, step) => {
    step('end');
    return { ...attempt, endedAt, spentUsd: Math.max(attempt.spentUsd, fields.spentUsd) };
  });
}

import { type FailureReason, isRetryableReason } from './failure-reason';

/**
 * The retry policy in one place (docs/decisions/0128). Whether a job gets another try is computed
 * from its record alone, so every worker, before or after any restart, decides the same; the
 * process-local limits below (driver rounds, create_order tries) bound loops inside one process and
 * are not the job's attempts.
 */

/** What the policy reads of a job record (structural: the store's JobRecord fits). */
export interface RetryFacts {
  spec: { maxAttempts: number };
  attempts: readonly unknown[];
  events: readonly { event?: string }[];
  /** Retryable provisioning failures before an attempt was recorded (the store's `provisionFailed`). */
  provisionFailures?: number;
}

/**
 * Attempts used so far: the recorded attempts, or one more than the retries when a retry came
 * before any attempt was recorded, so retries stay bounded by maxAttempts even then.
 */
export function attemptsUsed(job: RetryFacts): number {
  const retries = job.events.filter((event) => event.event === 'retry').length;
  return Math.max(job.attempts.length, retries + 1);
}

/** How many more attempts the job may start (never below 0). */
export function attemptsLeft(job: RetryFacts): number {
  return Math.max(0, job.spec.maxAttempts - attemptsUsed(job));
}

/**
 * After the job's current attempt ended for `reason` (and before any retry of it is written): a
 * retryable reason with attempts left retries on another server; anything else fails the job. The
 * store refuses a `retry` this would not allow.
 */
export function afterAttemptFailure(job: RetryFacts, reason: FailureReason): 'retry' | 'fail' {
  return isRetryableReason(reason) && attemptsLeft(job) > 0 ? 'retry' : 'fail';
}

/**
 * After provisioning failed for `reason` before any attempt was recorded (no order known: the
 * marketplace, an order that never showed up): retryable reasons get up to maxAttempts such failures
 * in all, counted in the record (`provisionFailures`, this one not yet included), apart from attempts.
 */
export function afterProvisionFailure(job: RetryFacts, reason: FailureReason): 'retry' | 'fail' {
  const failures = (job.provisionFailures ?? 0) + 1;
  return isRetryableReason(reason) && failures < job.spec.maxAttempts ? 'retry' : 'fail';
}

/** `baseMs × 2^(n-1)` before try `n + 1` after try `n` failed, at most `maxMs`. */
export function backoffMs(n: number, baseMs: number, maxMs = Number.POSITIVE_INFINITY): number {
  return Math.min(baseMs * 2 ** Math.max(0, n - 1), maxMs);
}

/**
 * Rounds of the worker's job driver per BullMQ run: after an error nothing maps (Redis down, a bug)
 * the processor runs the resumable driver again after `backoffMs(round, DRIVER_RETRY_BASE_MS)`, and
 * after the last round abandons the job (its order released, the job failed `internal`). Counted in
 * the process, not with BullMQ's attempts: decision 0128 says why.
 */
export const DRIVER_ROUNDS = 5;
export const DRIVER_RETRY_BASE_MS = 1_000;

/**
 * Re-reads of the record after a lost race (JOB_STATE_CONFLICT) the driver allows in one round before
 * it treats the conflict as an error of the round.
 */
export const CONFLICT_REREADS = 5;

/**
 * create_order tries on one server while the provider answers "later" (rate limited, busy), paused
 * by its Retry-After or `backoffMs(try, CREATE_RETRY_BASE_MS)`; then the next server. A lost answer
 * is never retried blindly (the order book is searched first: place-order.ts).
 */
export const CREATE_ORDER_TRIES = 3;
export const CREATE_RETRY_BASE_MS = 1_000;

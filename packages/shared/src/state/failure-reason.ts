/**
 * Why a job failed (a failed job carries exactly one), and why an attempt ended. Infrastructure
 * reasons are retryable: the attempt is abandoned and the job goes back to `provisioning` while
 * attempts remain (docs/decisions/0011-job-state-machine.md).
 */
export const FAILURE_REASONS = [
  'command_failed',
  'timeout',
  'outputs_missing',
  'outputs_too_large',
  'budget_exceeded',
  'no_matching_server',
  'insufficient_balance',
  'provider_error',
  'ssh_error',
  'preempted',
  'spend_unverified',
  'internal',
] as const;

export type FailureReason = (typeof FAILURE_REASONS)[number];

/**
 * Reasons caused by the rented server or the provider, not by the job or the account: a new
 * attempt on another server may succeed. `command_failed` and `timeout` are the command's own
 * outcome; `outputs_missing` (a listed output absent while `outputsRequired`) and `outputs_too_large`
 * (over OUTPUTS_MAX_BYTES) are the job's own outputs and would come out the same; `budget_exceeded`, `insufficient_balance` and `no_matching_server` would fail again at
 * once (the marketplace is searched until the provisioning deadline before `no_matching_server`);
 * `spend_unverified` (the provider's bill could not be read for longer than SPEND_UNVERIFIED_MAX_SECONDS)
 * would rent again blind to the spend;
 * `internal` is a bug, and retrying a bug spends the user's money.
 */
const RETRYABLE: ReadonlySet<FailureReason> = new Set(['preempted', 'provider_error', 'ssh_error']);

export function isFailureReason(value: unknown): value is FailureReason {
  return typeof value === 'string' && (FAILURE_REASONS as readonly string[]).includes(value);
}

export function isRetryableReason(reason: FailureReason): boolean {
  return RETRYABLE.has(reason);
}

/** One line a person reads in the job's history. */
export const REASON_TEXT: Record<FailureReason, string> = {
  command_failed: 'the command exited with a non-zero code',
  timeout: 'the command ran longer than timeoutSeconds',
  outputs_missing: 'a listed output did not exist after the command (outputsRequired)',
  outputs_too_large: 'the outputs were over OUTPUTS_MAX_BYTES; the files that fit were kept',
  budget_exceeded: 'the job spent its budget',
  no_matching_server: 'no server on the marketplace matched the spec',
  insufficient_balance: 'the Clore account balance is too low',
  provider_error: 'the Clore API or the rented server failed',
  ssh_error: 'the server could not be reached over SSH',
  preempted: 'the spot rental was preempted',
  spend_unverified: "the provider's bill could not be read for too long; the rental was stopped",
  internal: 'an internal error in clore-batch',
};

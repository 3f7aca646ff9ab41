import type { FailureReason } from '@clore-batch/shared';

/**
 * Exit codes of `clore-batch`. With `--wait`, a job whose command ran exits with the command's own
 * code (0 on success, its code on `command_failed`). Everything else that can go wrong (the request,
 * the API, the rental) has its own code from this table, in 2 and 100..130, a range commands rarely
 * use. The overlap cannot be avoided (a command may itself exit 2 or 110): `--json` output and the
 * final stderr line always say which kind of code it was. docs/cli.md has the same table.
 */
export const EXIT = {
  ok: 0,
  usage: 2,
  apiUnreachable: 100,
  authFailed: 101,
  notFound: 102,
  apiRefused: 103,
  outputsFailed: 104,
  tenantLimit: 105,
  authRateLimited: 106,
  sweepFailed: 107,
  noMatchingServer: 110,
  insufficientBalance: 111,
  budgetExceeded: 112,
  timeout: 113,
  cancelled: 114,
  providerError: 115,
  sshError: 116,
  preempted: 117,
  internal: 118,
  noExitCode: 119,
  spendUnverified: 120,
  outputsMissing: 121,
  outputsTooLarge: 122,
  cliFailed: 125,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The code for a job that failed for `reason` (not `command_failed` with an exit code). */
export const REASON_EXIT: Record<Exclude<FailureReason, 'command_failed'>, ExitCode> = {
  no_matching_server: EXIT.noMatchingServer,
  insufficient_balance: EXIT.insufficientBalance,
  budget_exceeded: EXIT.budgetExceeded,
  timeout: EXIT.timeout,
  provider_error: EXIT.providerError,
  ssh_error: EXIT.sshError,
  preempted: EXIT.preempted,
  spend_unverified: EXIT.spendUnverified,
  outputs_missing: EXIT.outputsMissing,
  outputs_too_large: EXIT.outputsTooLarge,
  internal: EXIT.internal,
};

/** One row per code, for `--help` and docs/cli.md. */
export const EXIT_CODE_ROWS: ReadonlyArray<readonly [number | string, string]> = [
  [0, 'success (with --wait: the job succeeded, its command exited 0)'],
  ['1-255', "with --wait: the job's command failed; this is the command's own exit code"],
  [
    EXIT.usage,
    'usage error: a bad flag, argument or job file, or the API rejected the spec (also: no listed server could ever run it)',
  ],
  [EXIT.apiUnreachable, 'the API could not be reached (network error, HTTP 5xx) or kept answering 429'],
  [EXIT.authFailed, 'the token was refused (HTTP 401/403): set CLORE_BATCH_TOKEN or --token'],
  [EXIT.notFound, 'no such job (or not one this token may see)'],
  [EXIT.apiRefused, 'the API refused the request (e.g. 409: Idempotency-Key reused with another spec)'],
  [EXIT.outputsFailed, 'the job succeeded but its outputs could not be downloaded'],
  [
    EXIT.tenantLimit,
    "refused by the token's TENANT_LIMITS (budget or price over a per-job limit, a daily/monthly spend cap, the queue full, or busy); not retried",
  ],
  [
    EXIT.authRateLimited,
    'too many failed authentications from this address (AUTH_RATE_LIMITED): wait for the retry-after time; not retried',
  ],
  [EXIT.sweepFailed, 'with --wait on a sweep (--array/--matrix): not every job of it succeeded'],
  [EXIT.noMatchingServer, 'job failed: no_matching_server (no server matched gpu/price/reliability)'],
  [EXIT.insufficientBalance, 'job failed: insufficient_balance (the Clore account is short)'],
  [EXIT.budgetExceeded, 'job failed: budget_exceeded (the job spent budgetUsd)'],
  [EXIT.timeout, 'job failed: timeout (the command ran longer than timeoutSeconds)'],
  [EXIT.cancelled, 'the job was cancelled'],
  [EXIT.providerError, 'job failed: provider_error (the Clore API or the server failed)'],
  [EXIT.sshError, 'job failed: ssh_error (the server could not be reached over SSH)'],
  [EXIT.preempted, 'job failed: preempted (the spot rental was outbid)'],
  [EXIT.internal, 'job failed: internal (a clore-batch bug; see the worker log)'],
  [
    EXIT.noExitCode,
    'job failed: command_failed without a usable exit code (killed, or lost with its server)',
  ],
  [
    EXIT.spendUnverified,
    "job failed: spend_unverified (the provider's bill could not be read for too long; the rental was stopped)",
  ],
  [
    EXIT.outputsMissing,
    'job failed: outputs_missing (the command exited 0 but a listed output did not exist, with --outputs-required)',
  ],
  [
    EXIT.outputsTooLarge,
    'job failed: outputs_too_large (the outputs were over OUTPUTS_MAX_BYTES; the files that fit were kept)',
  ],
  [EXIT.cliFailed, 'clore-batch itself failed: the sandbox could not start, or a bug (message on stderr)'],
  [EXIT.interrupted, 'interrupted (Ctrl-C) without cancelling: the job keeps running'],
];

export function exitCodeHelp(): string {
  const lines = EXIT_CODE_ROWS.map(([code, text]) => `  ${String(code).padStart(5)}  ${text}`);
  return [
    'Exit codes:',
    ...lines,
    '',
    'A command may itself exit with one of the codes above; the final line on stderr and the',
    '--json output ("exit": {"code", "kind": "command"|"orchestration"}) always say which it was.',
  ].join('\n');
}

import { isFailureReason } from '@clore-batch/shared';
import type { ApiJob } from '../api/api-job';
import { EXIT, REASON_EXIT } from '../cli/exit-codes';
import { formatDuration, formatUsd } from '../format/units';

/**
 * How a finished job maps to the CLI's exit code. `kind` says whose code it is: `command` (the
 * job's command exited with it, 0 included) or `orchestration` (clore-batch's own, from
 * cli/exit-codes.ts). The two ranges can overlap; `kind` is how scripts tell them apart.
 */
export interface Outcome {
  code: number;
  kind: 'command' | 'orchestration';
  state: ApiJob['state'];
  reason?: string;
  /** "succeeded", "failed: the command exited with code 42", "failed: no_matching_server (...)". */
  summary: string;
}

export function outcomeOf(job: ApiJob): Outcome {
  const base = { state: job.state, ...(job.reason ? { reason: job.reason } : {}) };
  if (job.state === 'succeeded') {
    return { ...base, code: EXIT.ok, kind: 'command', summary: 'succeeded' };
  }
  if (job.state === 'cancelled') {
    return { ...base, code: EXIT.cancelled, kind: 'orchestration', summary: 'was cancelled' };
  }
  if (job.state !== 'failed') {
    // Not terminal: only reached when the caller stopped waiting.
    return { ...base, code: EXIT.interrupted, kind: 'orchestration', summary: `is still ${job.state}` };
  }
  if (job.reason === 'command_failed') {
    if (typeof job.exitCode === 'number' && job.exitCode > 0 && job.exitCode <= 255) {
      return {
        ...base,
        code: job.exitCode,
        kind: 'command',
        summary: `failed: the command exited with code ${job.exitCode}`,
      };
    }
    // No usable code: killed, lost with its server, or the command exited 0 but the job still
    // failed (outputs over the cap, before outputs_too_large had its own reason). The message says which.
    const why = job.message ? ` (${job.message})` : '';
    const what =
      job.exitCode === 0
        ? 'the command exited 0 but the job failed'
        : 'the command ended without an exit code';
    return { ...base, code: EXIT.noExitCode, kind: 'orchestration', summary: `failed: ${what}${why}` };
  }
  const code =
    isFailureReason(job.reason) && job.reason !== 'command_failed' ? REASON_EXIT[job.reason] : EXIT.internal;
  const detail = job.message ? ` (${job.message})` : '';
  return {
    ...base,
    code,
    kind: 'orchestration',
    summary: `failed: ${job.reason ?? 'unknown reason'}${detail}`,
  };
}

/** The last line of `--wait` on stderr: what happened and whose exit code it is. */
export function finalLine(job: ApiJob, outcome: Outcome, elapsedMs: number | undefined): string {
  const parts = [`job ${job.id} ${outcome.summary}`];
  if (elapsedMs !== undefined) {
    parts.push(`after ${formatDuration(elapsedMs)}`);
  }
  if (typeof job.costUsd === 'number') {
    parts.push(`cost ${formatUsd(job.costUsd)}`);
  }
  const whose = outcome.kind === 'command' ? "the command's own exit code" : 'clore-batch orchestration code';
  return `clore-batch: ${parts.join(', ')}; exit ${outcome.code} (${whose})`;
}

/**
 * The states of a job (product.md "Job states"). `TRANSITIONS` in ./transitions.ts is the only
 * place that says how a job moves between them; job-states.mmd draws the same machine.
 */
export const JobState = {
  queued: 'queued',
  provisioning: 'provisioning',
  running: 'running',
  collecting: 'collecting',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
} as const;

export type JobState = (typeof JobState)[keyof typeof JobState];

export const JOB_STATES = Object.values(JobState) as readonly JobState[];

export const TERMINAL_STATES: readonly JobState[] = [JobState.succeeded, JobState.failed, JobState.cancelled];

export function isJobState(value: unknown): value is JobState {
  return typeof value === 'string' && (JOB_STATES as readonly string[]).includes(value);
}

/** A terminal job never changes state again. */
export function isTerminal(state: JobState): boolean {
  return TERMINAL_STATES.includes(state);
}

import type { JobHistoryEvent, JobSummary } from './job-record';

/**
 * What the store publishes on a job's channel. Followers use these only as wake-ups and re-read the
 * record or the log, so a lost or repeated message never loses or repeats data.
 */
export type LiveMessage =
  | { type: 'event'; index: number; event: JobHistoryEvent; job: JobSummary }
  | { type: 'update'; job: JobSummary }
  | { type: 'log'; offset: number; length: number };

export function parseLiveMessage(text: string): LiveMessage | undefined {
  try {
    const value = JSON.parse(text) as LiveMessage;
    return typeof value === 'object' && value !== null && typeof value.type === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

import { AppError } from '../errors/app-error';
import { isTerminal } from '../state/job-state';
import { isJobId } from './job-id';
import { type JobRecord, jobSummary } from './job-record';
import type { LiveMessage } from './live-message';
import { outboxMember } from './outbox';
import { runScript, WRITE_JOB } from './scripts';
import type { StoreDeps } from './store-deps';

/** Ids reach file paths and keys: anything but a well-formed id is "not found", never a path. */
export function assertJobId(id: string): void {
  if (!isJobId(id)) {
    throw new AppError('JOB_NOT_FOUND', `no job ${JSON.stringify(String(id).slice(0, 64))}`);
  }
}

export async function readJob(deps: StoreDeps, id: string): Promise<JobRecord | undefined> {
  if (!isJobId(id)) {
    return undefined;
  }
  const json = await deps.redis.hget(deps.keys.job(id), 'json');
  return json === null ? undefined : (JSON.parse(json) as JobRecord);
}

export async function mustReadJob(deps: StoreDeps, id: string): Promise<JobRecord> {
  const job = await readJob(deps, id);
  if (!job) {
    throw new AppError('JOB_NOT_FOUND', `no job ${JSON.stringify(id.slice(0, 64))}`);
  }
  return job;
}

export type WriteOutcome = 'ok' | 'missing' | 'conflict' | 'lost';

/** The fence token a write of job `id` carries through these deps ('' = not fenced). */
export function fenceToken(deps: StoreDeps, id: string): string {
  return deps.fence !== undefined && deps.fence.jobId === id ? deps.fence.token : '';
}

/** A fenced write found the job's lease gone or held by another worker: nothing was written. */
export function ownershipLost(id: string, what: string): AppError {
  return new AppError(
    'JOB_OWNERSHIP_LOST',
    `job ${id}: ${what} refused: this worker no longer holds the job's lease (another worker may own it)`,
    { details: { jobId: id } },
  );
}

/**
 * On a fenced view, refuse early when the lease is not this worker's (JOB_OWNERSHIP_LOST), so a
 * worker that lost the job hears that rather than a guard's complaint about a record it no longer
 * owns. The write script checks again atomically; this read only makes the error precise.
 */
export async function assertFence(deps: StoreDeps, id: string, what: string): Promise<void> {
  const token = fenceToken(deps, id);
  if (token !== '' && (await deps.redis.get(deps.keys.lease(id))) !== token) {
    throw ownershipLost(id, what);
  }
}

/** Turn a write outcome other than 'ok' / 'conflict' into its error. */
export function throwIfGone(outcome: WriteOutcome, id: string, what: string): void {
  if (outcome === 'missing') {
    throw new AppError('JOB_NOT_FOUND', `no job ${id}`);
  }
  if (outcome === 'lost') {
    throw ownershipLost(id, what);
  }
}

/**
 * Compare-and-set `next` over `prev` (same id): succeeds only if Redis still holds `prev.state` at
 * `prev.version` and, on a fenced view, the job's lease still holds this worker's token. A terminal
 * write adds its outbox entry in the same script (outbox.ts). Publishes one message per event
 * appended since `prev` (or an `update`).
 */
/** '1' when this write makes the job terminal (the script enters it in the finished index), else ''. */
function endsJob(prev: JobRecord, next: JobRecord): '1' | '' {
  return !isTerminal(prev.state) && isTerminal(next.state) ? '1' : '';
}

export async function writeJob(deps: StoreDeps, prev: JobRecord, next: JobRecord): Promise<WriteOutcome> {
  const { keys } = deps;
  const summary = jobSummary(next);
  const messages: LiveMessage[] = next.events
    .slice(prev.events.length)
    .map((event, i) => ({ type: 'event', index: prev.events.length + i, event, job: summary }));
  if (messages.length === 0) {
    messages.push({ type: 'update', job: summary });
  }
  const result = (await runScript(
    deps.redis,
    WRITE_JOB,
    [
      keys.job(prev.id),
      keys.byState(prev.state),
      keys.byState(next.state),
      keys.byOwnerState(prev.owner, prev.state),
      keys.byOwnerState(prev.owner, next.state),
      keys.lease(prev.id),
      keys.outbox(),
      keys.finished(),
      keys.unpurged(),
      keys.secrets(prev.id),
    ],
    [
      prev.state,
      prev.version,
      next.state,
      next.version,
      JSON.stringify(next),
      prev.id,
      keys.channel(prev.id),
      fenceToken(deps, prev.id),
      outboxMember(prev, next),
      Date.parse(next.updatedAt),
      keys.outboxChannel(),
      endsJob(prev, next),
      ...messages.map((m) => JSON.stringify(m)),
    ],
  )) as [WriteOutcome, ...string[]];
  return result[0];
}

/** Sum of the attempts' spend, rounded to micro-dollars so float noise does not accumulate. */
export function totalCost(job: Pick<JobRecord, 'attempts' | 'strayOrders'>): number {
  const sum =
    job.attempts.reduce((total, attempt) => total + attempt.spentUsd, 0) +
    (job.strayOrders ?? []).reduce((total, stray) => total + stray.costUsd, 0);
  return Math.round(sum * 1e6) / 1e6;
}

import {
  AppError,
  hasErrorCode,
  JOB_STATES,
  type JobRecord,
  type JobState,
  type JobStore,
  type SweepRecord,
  TERMINAL_STATES,
} from '@clore-batch/shared';
import type { Principal } from '../auth/principal';

export interface SweepStatus {
  id: string;
  owner: string;
  name?: string;
  createdAt: string;
  /** Jobs the sweep made. */
  total: number;
  /** Jobs per state (jobs deleted by retention are not counted: they had finished). */
  counts: Record<JobState, number>;
  /** Jobs in a terminal state, and those already deleted. */
  finished: number;
  /** finished / total, 0..1. */
  progress: number;
  done: boolean;
  /** Sum of the jobs' costUsd. */
  costUsd: number;
  jobIds: string[];
}

/**
 * The sweep if this principal may see it: admins every one, a submit token its own. Another
 * tenant's sweep answers exactly like a missing one (404 SWEEP_NOT_FOUND), as jobs do.
 */
export async function sweepFor(store: JobStore, principal: Principal, id: string): Promise<SweepRecord> {
  const notFound = () => new AppError('SWEEP_NOT_FOUND', `no sweep ${id}`);
  const sweep = await store.getSweep(id).catch((error: unknown) => {
    throw hasErrorCode(error) && error.code === 'SWEEP_NOT_FOUND' ? notFound() : error;
  });
  if (principal.role !== 'admin' && sweep.owner !== principal.name) {
    throw notFound();
  }
  return sweep;
}

/** The sweep's progress from its jobs' records (one round trip). */
export async function sweepStatus(store: JobStore, sweep: SweepRecord): Promise<SweepStatus> {
  const jobs = await store.getMany(sweep.jobIds);
  const counts = Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as Record<JobState, number>;
  let costUsd = 0;
  let live = 0;
  for (const job of jobs) {
    counts[job.state] += 1;
    costUsd += job.costUsd;
    if (!TERMINAL_STATES.includes(job.state)) {
      live += 1;
    }
  }
  const total = sweep.jobIds.length;
  const finished = total - live;
  return {
    id: sweep.id,
    owner: sweep.owner,
    ...(sweep.name === undefined ? {} : { name: sweep.name }),
    createdAt: sweep.createdAt,
    total,
    counts,
    finished,
    progress: total === 0 ? 1 : finished / total,
    done: live === 0,
    costUsd: Math.round(costUsd * 1e6) / 1e6,
    jobIds: sweep.jobIds,
  };
}

/**
 * Cancel every job of the sweep that is not terminal (the job cancel path: queued ones at once, live
 * ones by `cancelRequestedAt`); a job that ended meanwhile is skipped. Returns the ids cancelled.
 */
export async function cancelSweep(store: JobStore, sweep: SweepRecord): Promise<string[]> {
  return cancelJobs(store, sweep.jobIds);
}

/** The same for any list of job ids (the dashboard's bulk cancel); unknown ids are skipped. */
export async function cancelJobs(store: JobStore, ids: readonly string[]): Promise<string[]> {
  const jobs = await store.getMany(ids);
  const cancelled: string[] = [];
  for (const job of jobs) {
    if (TERMINAL_STATES.includes(job.state)) {
      continue;
    }
    try {
      await store.requestCancel(job.id);
      cancelled.push(job.id);
    } catch (error) {
      if (
        !(hasErrorCode(error) && (error.code === 'JOB_ALREADY_TERMINAL' || error.code === 'JOB_NOT_FOUND'))
      ) {
        throw error;
      }
    }
  }
  return cancelled;
}

/**
 * A page of the sweep's jobs in index order; the cursor is the last job's id (base64url) as in the
 * jobs listing. `state` filters the page (a filtered page may be short).
 */
export async function sweepJobPage(
  store: JobStore,
  sweep: SweepRecord,
  query: { limit: number; cursor?: string; state?: JobState },
): Promise<{ jobs: JobRecord[]; nextCursor?: string }> {
  let start = 0;
  if (query.cursor !== undefined) {
    const after = sweep.jobIds.indexOf(Buffer.from(query.cursor, 'base64url').toString('utf8'));
    if (after === -1) {
      throw new AppError('VALIDATION_FAILED', 'invalid cursor: not one this API returned', {
        details: { issues: [{ path: 'cursor', message: 'is not a cursor this API returned' }] },
      });
    }
    start = after + 1;
  }
  const ids = sweep.jobIds.slice(start, start + query.limit);
  const jobs = (await store.getMany(ids)).filter(
    (job) => query.state === undefined || job.state === query.state,
  );
  const last = ids[ids.length - 1];
  return start + ids.length < sweep.jobIds.length && last !== undefined
    ? { jobs, nextCursor: Buffer.from(last).toString('base64url') }
    : { jobs };
}

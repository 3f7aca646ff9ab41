import { isTerminal, type JobRecord, type JobState, type JobStore } from '@clore-batch/shared';

/** One line of the dashboard's job list. */
export interface JobRow {
  id: string;
  name?: string;
  owner: string;
  state: JobState;
  reason?: string;
  exitCode?: number | null;
  /** The rented GPU (latest attempt), else the models asked for. */
  gpu: string;
  serverId?: number;
  orderId?: number;
  pricePerHourUsd?: number;
  /** From first leaving `queued` to the end (or now); undefined while queued. */
  durationSeconds?: number;
  costUsd: number;
  budgetUsd: number;
  attempts: number;
  cancelRequested: boolean;
  createdAt: string;
  /** The sweep that made the job and its point (decision 0136). */
  sweepId?: string;
  sweepIndex?: number;
}

export function jobRow(job: JobRecord, now: Date): JobRow {
  const attempt = job.attempts[job.attempts.length - 1];
  const row: JobRow = {
    id: job.id,
    owner: job.owner,
    state: job.state,
    gpu: attempt?.gpu ?? job.spec.gpu.model.join(' | '),
    costUsd: job.costUsd,
    budgetUsd: job.spec.budgetUsd,
    attempts: job.attempts.length,
    cancelRequested: job.cancelRequestedAt !== undefined && !isTerminal(job.state),
    createdAt: job.createdAt,
  };
  if (job.name !== undefined) {
    row.name = job.name;
  }
  if (job.reason !== undefined) {
    row.reason = job.reason;
  }
  if (job.sweepId !== undefined) {
    row.sweepId = job.sweepId;
    row.sweepIndex = job.sweepIndex ?? 0;
  }
  if (job.exitCode !== undefined) {
    row.exitCode = job.exitCode;
  }
  if (attempt !== undefined) {
    row.serverId = attempt.serverId;
    row.pricePerHourUsd = attempt.pricePerHourUsd;
    if (attempt.orderId !== undefined) {
      row.orderId = attempt.orderId;
    }
  }
  if (job.startedAt !== undefined) {
    const end = job.finishedAt === undefined ? now.getTime() : Date.parse(job.finishedAt);
    row.durationSeconds = Math.max(0, Math.round((end - Date.parse(job.startedAt)) / 1_000));
  }
  return row;
}

/** Case-insensitive match of the search text against id, name, owner, sweep id, and requested or rented GPUs. */
export function matchesSearch(job: JobRecord, search: string): boolean {
  const needle = search.trim().toLowerCase();
  if (needle === '') {
    return true;
  }
  const haystack = [
    job.id,
    job.name ?? '',
    job.owner,
    job.sweepId ?? '',
    ...job.spec.gpu.model,
    ...job.attempts.map((a) => a.gpu),
    ...job.attempts.map((a) => String(a.serverId)),
  ];
  return haystack.some((text) => text.toLowerCase().includes(needle));
}

export interface JobQuery {
  state?: JobState;
  owner?: string;
  search?: string;
  limit: number;
}

/** How many records one search may read (newest first) before it stops and says so. */
export const SEARCH_SCAN_MAX = 5_000;

/**
 * The list page: the store's indexes filter by owner and state; the search text filters the
 * records read, newest first, until `limit` rows match or SEARCH_SCAN_MAX records were read.
 */
export async function findJobs(
  store: JobStore,
  query: JobQuery,
  now: Date,
): Promise<{ jobs: JobRow[]; scanned: number; truncated: boolean }> {
  const rows: JobRow[] = [];
  let scanned = 0;
  let cursor: string | undefined;
  const searching = query.search !== undefined && query.search.trim() !== '';
  for (;;) {
    const page = await store.list({
      limit: searching ? 500 : query.limit,
      ...(query.state === undefined ? {} : { state: query.state }),
      ...(query.owner === undefined ? {} : { owner: query.owner }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const [index, job] of page.jobs.entries()) {
      scanned += 1;
      if (!searching || matchesSearch(job, query.search ?? '')) {
        rows.push(jobRow(job, now));
        if (rows.length >= query.limit) {
          const more = page.nextCursor !== undefined || index < page.jobs.length - 1;
          return { jobs: rows, scanned, truncated: more };
        }
      }
    }
    cursor = page.nextCursor;
    if (cursor === undefined || !searching) {
      return { jobs: rows, scanned, truncated: cursor !== undefined };
    }
    if (scanned >= SEARCH_SCAN_MAX) {
      return { jobs: rows, scanned, truncated: true };
    }
  }
}

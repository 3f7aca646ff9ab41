import { isTerminal, type JobRecord, type JobStore } from '@clore-batch/shared';

export interface OwnerMoney {
  owner: string;
  jobs: number;
  liveJobs: number;
  /** What the provider billed for this owner's jobs (sum of the jobs' costUsd). */
  totalUsd: number;
  /** The part of it spent since 00:00 UTC (see `spentSince`). */
  todayUsd: number;
  /** Budgets of the owner's live jobs: what they may still spend at most, in total. */
  liveBudgetUsd: number;
  /** What the live jobs have already spent of those budgets. */
  liveSpentUsd: number;
  /** Jobs stopped by their budget. */
  budgetExceeded: number;
}

export interface MoneyView {
  owners: OwnerMoney[];
  totals: { totalUsd: number; todayUsd: number; liveBudgetUsd: number; liveSpentUsd: number };
  dayStart: string;
  /** Records read; `truncated` when the scan stopped at MONEY_SCAN_MAX (older jobs not counted). */
  scanned: number;
  truncated: boolean;
}

export const MONEY_SCAN_MAX = 20_000;

/**
 * The part of a job's spend that falls after `since`. Records keep what each attempt cost in
 * total, not when; an attempt is billed at a steady hourly rate, so its spend is shared out in
 * proportion to the time it ran on each side of `since`.
 */
export function spentSince(job: JobRecord, since: number, now: number): number {
  let total = 0;
  for (const attempt of job.attempts) {
    const start = Date.parse(attempt.startedAt);
    const end = attempt.endedAt === undefined ? now : Date.parse(attempt.endedAt);
    if (end <= since) {
      continue;
    }
    if (start >= since || end <= start) {
      total += attempt.spentUsd;
    } else {
      total += (attempt.spentUsd * (end - since)) / (end - start);
    }
  }
  return total;
}

export function startOfUtcDay(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

export function summariseMoney(
  jobs: Iterable<JobRecord>,
  now: Date,
): Omit<MoneyView, 'scanned' | 'truncated'> {
  const since = startOfUtcDay(now);
  const byOwner = new Map<string, OwnerMoney>();
  for (const job of jobs) {
    const owner =
      byOwner.get(job.owner) ??
      ({
        owner: job.owner,
        jobs: 0,
        liveJobs: 0,
        totalUsd: 0,
        todayUsd: 0,
        liveBudgetUsd: 0,
        liveSpentUsd: 0,
        budgetExceeded: 0,
      } satisfies OwnerMoney);
    byOwner.set(job.owner, owner);
    owner.jobs += 1;
    owner.totalUsd += job.costUsd;
    owner.todayUsd += spentSince(job, since.getTime(), now.getTime());
    if (!isTerminal(job.state)) {
      owner.liveJobs += 1;
      owner.liveBudgetUsd += job.spec.budgetUsd;
      owner.liveSpentUsd += job.costUsd;
    }
    if (job.reason === 'budget_exceeded') {
      owner.budgetExceeded += 1;
    }
  }
  const owners = [...byOwner.values()].sort(
    (a, b) => b.totalUsd - a.totalUsd || a.owner.localeCompare(b.owner),
  );
  const sum = (pick: (o: OwnerMoney) => number) => owners.reduce((acc, o) => acc + pick(o), 0);
  return {
    owners,
    totals: {
      totalUsd: sum((o) => o.totalUsd),
      todayUsd: sum((o) => o.todayUsd),
      liveBudgetUsd: sum((o) => o.liveBudgetUsd),
      liveSpentUsd: sum((o) => o.liveSpentUsd),
    },
    dayStart: since.toISOString(),
  };
}

/** Read every job (newest first, up to MONEY_SCAN_MAX) and sum per owner. */
export async function readMoneyView(store: JobStore, now: Date): Promise<MoneyView> {
  const jobs: JobRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list({ limit: 500, ...(cursor === undefined ? {} : { cursor }) });
    jobs.push(...page.jobs);
    cursor = page.nextCursor;
  } while (cursor !== undefined && jobs.length < MONEY_SCAN_MAX);
  return { ...summariseMoney(jobs, now), scanned: jobs.length, truncated: cursor !== undefined };
}

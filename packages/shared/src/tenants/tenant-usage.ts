import { isTerminal, type JobState } from '../state/job-state';

/**
 * What a tenant's spend caps are measured against (docs/decisions/0129). A job's bill (`costUsd`,
 * what the provider billed for its attempts and stray orders) counts in the period the job was
 * submitted in; a live job also commits the rest of its budget, whenever it was submitted. So at a
 * submit: budget + billed(jobs submitted in the period) + unspent(live jobs) must fit the cap.
 */
export type SpendPeriod = 'day' | 'month';

/** The fields of a job record the usage needs. */
export interface UsageJob {
  id: string;
  state: JobState;
  createdAt: string;
  costUsd: number;
  spec: { budgetUsd: number };
}

export interface TenantUsage {
  /** Bills of the tenant's jobs submitted since the start of the UTC day / month. */
  billedUsd: Record<SpendPeriod, number>;
  /** Σ max(0, budgetUsd − costUsd) over the tenant's live (not terminal) jobs. */
  unspentUsd: number;
  liveJobs: number;
}

/**
 * How far apart the clocks of the processes that stamp `createdAt` and the one reading may be:
 * readers of a period's jobs start this much earlier, so a job stamped by a slow clock still counts.
 */
export const CLOCK_SKEW_MS = 10 * 60_000;

/** Start of the UTC day or month that holds `now`. */
export function periodStart(now: Date, period: SpendPeriod): Date {
  const day = period === 'day' ? now.getUTCDate() : 1;
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), day));
}

/** The period's name as a message shows it: `2026-03-14` or `2026-03`. */
export function periodLabel(now: Date, period: SpendPeriod): string {
  const iso = now.toISOString();
  return period === 'day' ? iso.slice(0, 10) : iso.slice(0, 7);
}

/**
 * Usage from the tenant's jobs: every job submitted this month, plus every live job (each id counted
 * once, whichever list it came from).
 */
export function tenantUsage(jobs: Iterable<UsageJob>, now: Date): TenantUsage {
  const starts = { day: periodStart(now, 'day').getTime(), month: periodStart(now, 'month').getTime() };
  const usage: TenantUsage = { billedUsd: { day: 0, month: 0 }, unspentUsd: 0, liveJobs: 0 };
  const seen = new Set<string>();
  for (const job of jobs) {
    if (seen.has(job.id)) {
      continue;
    }
    seen.add(job.id);
    const created = Date.parse(job.createdAt);
    for (const period of ['day', 'month'] as const) {
      if (created >= starts[period]) {
        usage.billedUsd[period] += job.costUsd;
      }
    }
    if (!isTerminal(job.state)) {
      usage.liveJobs += 1;
      usage.unspentUsd += Math.max(0, job.spec.budgetUsd - job.costUsd);
    }
  }
  return usage;
}

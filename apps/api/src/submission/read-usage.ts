import {
  JOB_STATES,
  type JobState,
  type JobStore,
  periodStart,
  TERMINAL_STATES,
  type TenantUsage,
  tenantUsage,
  type UsageJob,
} from '@clore-batch/shared';

const LIVE_STATES: readonly JobState[] = JOB_STATES.filter((state) => !TERMINAL_STATES.includes(state));
const PAGE = 500;
/**
 * Ids sort by their creator's clock; API processes' clocks may differ a little, so the scan goes on
 * this far past the month's start before it stops (jobs older than the start are skipped).
 */
const CLOCK_SKEW_MS = 10 * 60_000;

/**
 * A tenant's spend usage from the store's per-owner indexes (public list API): its jobs submitted
 * since the start of the UTC month (newest first, until one is older by more than the clock skew
 * allowed), and its live jobs of any age.
 * Cost: one record read per job of the month; docs/decisions/0129 has the figures.
 */
export async function readTenantUsage(store: JobStore, tenant: string, now: Date): Promise<TenantUsage> {
  const jobs: UsageJob[] = [];
  const since = periodStart(now, 'month').getTime();
  let cursor: string | undefined;
  month: do {
    const page = await store.list({ owner: tenant, limit: PAGE, ...(cursor ? { cursor } : {}) });
    for (const job of page.jobs) {
      const created = Date.parse(job.createdAt);
      if (created < since - CLOCK_SKEW_MS) {
        break month;
      }
      if (created >= since) {
        jobs.push(job);
      }
    }
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  for (const state of LIVE_STATES) {
    let liveCursor: string | undefined;
    do {
      const page = await store.list({
        owner: tenant,
        state,
        limit: PAGE,
        ...(liveCursor ? { cursor: liveCursor } : {}),
      });
      jobs.push(...page.jobs);
      liveCursor = page.nextCursor;
    } while (liveCursor !== undefined);
  }
  return tenantUsage(jobs, now);
}

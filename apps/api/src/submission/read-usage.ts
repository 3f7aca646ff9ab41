import {
  hasErrorCode,
  isTerminal,
  JOB_STATES,
  type JobRecord,
  type JobState,
  type JobStore,
  ownerJobVersionsSince,
  periodStart,
  TERMINAL_STATES,
  type TenantUsage,
  tenantUsage,
  type UsageJob,
} from '@clore-batch/shared';
import type { Redis } from 'ioredis';

const LIVE_STATES: readonly JobState[] = JOB_STATES.filter((state) => !TERMINAL_STATES.includes(state));
const PAGE = 500;
/**
 * Ids sort by their creator's clock; API processes' clocks may differ a little, so the month's ids
 * are taken from this much before its start (tenantUsage counts only jobs created in the period).
 */
const CLOCK_SKEW_MS = 10 * 60_000;

/** A tenant's spend usage (tenantUsage) read from the store; one reader per API process. */
export interface UsageReader {
  read(tenant: string, now: Date): Promise<TenantUsage>;
}

const slim = (job: JobRecord): UsageJob => ({
  id: job.id,
  state: job.state,
  createdAt: job.createdAt,
  costUsd: job.costUsd,
  spec: { budgetUsd: job.spec.budgetUsd },
});

/**
 * Reads the tenant's jobs of the UTC month from its owner index and its live jobs of any age.
 * A finished job's figures are kept in memory by record version: each read fetches the month's ids
 * with their versions (one script, one round trip) and only the records that are new or changed (a
 * finished job still changes when a stray order's bill is counted). docs/decisions/0129 has the figures.
 */
export function createUsageReader(deps: { store: JobStore; redis: Redis; prefix: string }): UsageReader {
  const settled = new Map<string, Map<string, { version: number; job: UsageJob }>>();

  async function records(ids: readonly string[]): Promise<JobRecord[]> {
    const found: JobRecord[] = [];
    for (let i = 0; i < ids.length; i += PAGE) {
      const page = await Promise.all(
        ids.slice(i, i + PAGE).map((id) =>
          deps.store.get(id).catch((error: unknown) => {
            if (hasErrorCode(error) && error.code === 'JOB_NOT_FOUND') {
              return undefined; // deleted meanwhile
            }
            throw error;
          }),
        ),
      );
      found.push(...page.filter((job): job is JobRecord => job !== undefined));
    }
    return found;
  }

  return {
    async read(tenant, now) {
      const since = periodStart(now, 'month').getTime() - CLOCK_SKEW_MS;
      const rows = await ownerJobVersionsSince(deps.redis, deps.prefix, tenant, since);
      const known = settled.get(tenant) ?? new Map();
      const kept = new Map<string, { version: number; job: UsageJob }>();
      const jobs: UsageJob[] = [];
      const missing: string[] = [];
      for (const { id, version } of rows) {
        const hit = known.get(id);
        if (hit !== undefined && hit.version === version) {
          kept.set(id, hit);
          jobs.push(hit.job);
        } else if (version !== undefined) {
          missing.push(id);
        }
      }
      for (const record of await records(missing)) {
        const job = slim(record);
        jobs.push(job);
        if (isTerminal(job.state)) {
          kept.set(job.id, { version: record.version, job });
        }
      }
      settled.set(tenant, kept);
      for (const state of LIVE_STATES) {
        let cursor: string | undefined;
        do {
          const page = await deps.store.list({
            owner: tenant,
            state,
            limit: PAGE,
            ...(cursor ? { cursor } : {}),
          });
          jobs.push(...page.jobs.map(slim));
          cursor = page.nextCursor;
        } while (cursor !== undefined);
      }
      return tenantUsage(jobs, now);
    },
  };
}

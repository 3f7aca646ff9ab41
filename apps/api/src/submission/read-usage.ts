import {
  CLOCK_SKEW_MS,
  hasErrorCode,
  JOB_STATES,
  type JobRecord,
  type JobState,
  type JobStore,
  ownerJobVersions,
  periodStart,
  TERMINAL_STATES,
  type TenantUsage,
  tenantUsage,
  type UsageJob,
} from '@clore-batch/shared';
import type { Redis } from 'ioredis';

const LIVE_STATES: readonly JobState[] = JOB_STATES.filter((state) => !TERMINAL_STATES.includes(state));
/** Records fetched at once when many are new (the first read of a busy tenant). */
const BATCH = 500;

/** A tenant's spend usage (tenantUsage) read from the store; one reader per API process. */
export interface UsageReader {
  read(tenant: string, now: Date): Promise<TenantUsage>;
}

interface Known {
  version: number;
  job: UsageJob;
}

const slim = (job: JobRecord): UsageJob => ({
  id: job.id,
  state: job.state,
  createdAt: job.createdAt,
  costUsd: job.costUsd,
  spec: { budgetUsd: job.spec.budgetUsd },
});

/**
 * Reads the tenant's jobs submitted this UTC month and its live jobs of any age. One script lists
 * their ids with each record's version; the figures of every job read before are kept in memory by
 * version (every write of a record raises it, so a bill counted on a finished job later, e.g. a
 * stray order's, is seen), and only new or changed records are fetched. docs/decisions/0129.
 */
export function createUsageReader(deps: { store: JobStore; redis: Redis; prefix: string }): UsageReader {
  const known = new Map<string, Map<string, Known>>();

  async function fetch(ids: readonly string[]): Promise<JobRecord[]> {
    const found: JobRecord[] = [];
    for (let i = 0; i < ids.length; i += BATCH) {
      const batch = await Promise.all(
        ids.slice(i, i + BATCH).map((id) =>
          deps.store.get(id).catch((error: unknown) => {
            if (hasErrorCode(error) && error.code === 'JOB_NOT_FOUND') {
              return undefined; // deleted meanwhile
            }
            throw error;
          }),
        ),
      );
      found.push(...batch.filter((job): job is JobRecord => job !== undefined));
    }
    return found;
  }

  return {
    async read(tenant, now) {
      const rows = await ownerJobVersions(deps.redis, deps.prefix, tenant, {
        sinceMs: periodStart(now, 'month').getTime() - CLOCK_SKEW_MS,
        states: LIVE_STATES,
      });
      const before = known.get(tenant) ?? new Map<string, Known>();
      const kept = new Map<string, Known>();
      const missing = new Set<string>();
      for (const { id, version } of rows) {
        const hit = before.get(id);
        if (version === undefined || kept.has(id)) {
          continue;
        }
        if (hit !== undefined && hit.version === version) {
          kept.set(id, hit);
        } else {
          missing.add(id);
        }
      }
      for (const record of await fetch([...missing])) {
        kept.set(record.id, { version: record.version, job: slim(record) });
      }
      known.set(tenant, kept);
      return tenantUsage(
        [...kept.values()].map((entry) => entry.job),
        now,
      );
    },
  };
}

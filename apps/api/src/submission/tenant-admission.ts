import {
  type AppError,
  type Config,
  type DeepReadonly,
  edgeKeys,
  hasSpendCap,
  idempotentJobId,
  type JobStore,
  limitsFor,
  needsUsage,
  perJobRefusal,
  queueRefusal,
  spendRefusal,
} from '@clore-batch/shared';
import type { Redis } from 'ioredis';
import type { UsageReader } from './read-usage';
import { type TenantLockOptions, withTenantLock } from './tenant-lock';

export interface AdmissionDeps {
  config: DeepReadonly<Config>;
  store: JobStore;
  redis: Redis;
  /** The tenant's spend usage (one reader per process: it keeps finished jobs' figures). */
  usage: UsageReader;
  now?: () => Date;
  lock?: TenantLockOptions;
}

export interface Admission {
  tenant: string;
  spec: { budgetUsd: number; maxPricePerHourUsd: number };
  idempotencyKey?: string;
  /** Jobs admitted at once (a sweep: each has `spec`); default 1. */
  jobs?: number;
  /** Whether `idempotencyKey` was used before (default: the job idempotency lookup). */
  isRepeat?: () => Promise<boolean>;
}

/**
 * Runs `create` if the tenant's TENANT_LIMITS admit the job, else throws the refusal: per-job
 * limits, then the spend caps, then maxQueuedJobs (docs/decisions/0129). With a queue limit or a
 * spend cap the check and `create` run under the tenant's lock, so concurrent submits are admitted
 * one by one against what the earlier ones created. A sweep is admitted whole (`jobs`): its budgets
 * summed against the spend caps, all its jobs against maxQueuedJobs (docs/decisions/0136). A repeat of an Idempotency-Key the tenant has
 * already used is never refused: `create` answers it (the same job, or a conflict).
 */
export async function admitSubmission<T>(
  deps: AdmissionDeps,
  admission: Admission,
  create: () => Promise<T>,
): Promise<T> {
  const { tenant, spec, idempotencyKey } = admission;
  const jobs = admission.jobs ?? 1;
  const limits = limitsFor(deps.config.TENANT_LIMITS, tenant);
  if (limits === undefined) {
    return create();
  }
  const isRepeat =
    admission.isRepeat ??
    (async () =>
      idempotencyKey !== undefined &&
      (await idempotentJobId(deps.redis, deps.config.REDIS_PREFIX, tenant, idempotencyKey)) !== undefined);
  const refusal = async (): Promise<AppError | undefined> => {
    if (await isRepeat()) {
      return undefined;
    }
    const perJob = perJobRefusal(tenant, limits, spec);
    if (perJob !== undefined || !needsUsage(limits)) {
      return perJob;
    }
    const now = (deps.now ?? (() => new Date()))();
    if (hasSpendCap(limits)) {
      const usage = await deps.usage.read(tenant, now);
      const overCap = spendRefusal(tenant, limits, spec.budgetUsd * jobs, usage, now);
      if (overCap !== undefined) {
        return overCap;
      }
    }
    return limits.maxQueuedJobs === undefined
      ? undefined
      : queueRefusal(tenant, limits, (await deps.store.countByState(tenant)).queued, jobs);
  };

  if (!needsUsage(limits)) {
    const refused = await refusal();
    if (refused !== undefined) {
      throw refused;
    }
    return create();
  }
  const key = edgeKeys(deps.config.REDIS_PREFIX).tenantSubmitLock(tenant);
  return withTenantLock(
    deps.redis,
    key,
    tenant,
    async (lock) => {
      const refused = await refusal();
      if (refused !== undefined) {
        throw refused;
      }
      await lock.confirm();
      return create();
    },
    deps.lock,
  );
}

import { AppError } from '../errors/app-error';
import type { TenantLimit } from './tenant-limits';
import { periodLabel, type SpendPeriod, type TenantUsage } from './tenant-usage';

/**
 * The submit-time decisions of TENANT_LIMITS, pure: each returns the refusal (an AppError whose
 * code names the limit and whose message and `details` carry the numbers) or undefined. The API
 * checks them in this order: per-job limits, spend caps, then the queue (docs/decisions/0129).
 */

/** Money in messages: cents, or more digits when the amount has them (`$0.0125`). */
export function usd(amount: number): string {
  const fixed = amount.toFixed(4).replace(/0{1,2}$/, '');
  return `$${fixed}`;
}

/** Float sums of bills: a cap is broken only by more than this. */
const EPSILON = 1e-9;

export function perJobRefusal(
  tenant: string,
  limits: Readonly<TenantLimit>,
  spec: { budgetUsd: number; maxPricePerHourUsd: number },
): AppError | undefined {
  const { maxJobBudgetUsd, maxPricePerHourUsd } = limits;
  if (maxJobBudgetUsd !== undefined && spec.budgetUsd > maxJobBudgetUsd) {
    return new AppError(
      'TENANT_JOB_BUDGET_LIMIT',
      `budgetUsd ${usd(spec.budgetUsd)} is above maxJobBudgetUsd ${usd(maxJobBudgetUsd)} of tenant "${tenant}"`,
      { details: { tenant, limit: 'maxJobBudgetUsd', limitUsd: maxJobBudgetUsd, budgetUsd: spec.budgetUsd } },
    );
  }
  if (maxPricePerHourUsd !== undefined && spec.maxPricePerHourUsd > maxPricePerHourUsd) {
    return new AppError(
      'TENANT_PRICE_LIMIT',
      `maxPricePerHourUsd ${usd(spec.maxPricePerHourUsd)} is above maxPricePerHourUsd ${usd(maxPricePerHourUsd)} of tenant "${tenant}"`,
      {
        details: {
          tenant,
          limit: 'maxPricePerHourUsd',
          limitUsd: maxPricePerHourUsd,
          maxPricePerHourUsd: spec.maxPricePerHourUsd,
        },
      },
    );
  }
  return undefined;
}

const CAPS = [
  { period: 'day', field: 'dailySpendUsd', code: 'TENANT_DAILY_SPEND_CAP', words: 'this UTC day' },
  { period: 'month', field: 'monthlySpendUsd', code: 'TENANT_MONTHLY_SPEND_CAP', words: 'this UTC month' },
] as const;

export function spendRefusal(
  tenant: string,
  limits: Readonly<TenantLimit>,
  budgetUsd: number,
  usage: TenantUsage,
  now: Date,
): AppError | undefined {
  for (const cap of CAPS) {
    const limitUsd = limits[cap.field];
    if (limitUsd === undefined) {
      continue;
    }
    const billedUsd = usage.billedUsd[cap.period];
    const totalUsd = budgetUsd + billedUsd + usage.unspentUsd;
    if (totalUsd > limitUsd + EPSILON) {
      return new AppError(
        cap.code,
        `${cap.field} ${usd(limitUsd)} of tenant "${tenant}" would be passed: budget ${usd(budgetUsd)} + billed ${cap.words} ${usd(billedUsd)} + unspent budgets of ${usage.liveJobs} live job(s) ${usd(usage.unspentUsd)} = ${usd(totalUsd)}`,
        {
          details: {
            tenant,
            limit: cap.field,
            limitUsd,
            period: periodLabel(now, cap.period as SpendPeriod),
            budgetUsd,
            billedUsd,
            unspentUsd: usage.unspentUsd,
            liveJobs: usage.liveJobs,
            totalUsd,
          },
        },
      );
    }
  }
  return undefined;
}

export function queueRefusal(
  tenant: string,
  limits: Readonly<TenantLimit>,
  queuedJobs: number,
  /** Jobs the submission would add (a sweep's size; 1 for a job). */
  adding = 1,
): AppError | undefined {
  const { maxQueuedJobs } = limits;
  if (maxQueuedJobs === undefined || queuedJobs + adding <= maxQueuedJobs) {
    return undefined;
  }
  const what = adding === 1 ? '' : ` and a sweep of ${adding} would add ${adding}`;
  return new AppError(
    'TENANT_QUEUE_FULL',
    `tenant "${tenant}" has ${queuedJobs} job(s) queued${what}, maxQueuedJobs is ${maxQueuedJobs}: retry when some have started`,
    {
      details: {
        tenant,
        limit: 'maxQueuedJobs',
        maxQueuedJobs,
        queuedJobs,
        ...(adding === 1 ? {} : { adding }),
      },
    },
  );
}

/** Whether the check needs the tenant's jobs (and so the per-tenant lock). */
export function needsUsage(limits: Readonly<TenantLimit>): boolean {
  return (
    limits.maxQueuedJobs !== undefined ||
    limits.dailySpendUsd !== undefined ||
    limits.monthlySpendUsd !== undefined
  );
}

/** Whether a spend cap is set (then the tenant's jobs of the month are read). */
export function hasSpendCap(limits: Readonly<TenantLimit>): boolean {
  return limits.dailySpendUsd !== undefined || limits.monthlySpendUsd !== undefined;
}

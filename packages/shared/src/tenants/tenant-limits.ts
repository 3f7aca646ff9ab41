import { z } from 'zod';

/**
 * `TENANT_LIMITS`: a JSON object keyed by the token name of `API_TOKENS` (the tenant: the owner of
 * the jobs it submits), `"*"` the entry for every name not listed. A listed name takes its own entry
 * only (nothing is inherited from `"*"`); a field left out is no limit. docs/decisions/0129.
 */
export const DEFAULT_TENANT = '*';

const whole = z.number().int('must be a whole number').min(1, 'must be at least 1').max(1_000_000);
const usd = z.number().positive('must be more than 0').max(1_000_000_000);

export const TenantLimitSchema = z.strictObject({
  /** Jobs of the tenant past `queued` at once (the worker keeps the rest queued; not enforced here). */
  maxRunningJobs: whole.optional(),
  /** Jobs of the tenant in `queued`; a submit beyond it is a 429. */
  maxQueuedJobs: whole.optional(),
  /** Highest `budgetUsd` of one job. */
  maxJobBudgetUsd: usd.optional(),
  /** Highest `maxPricePerHourUsd` of one job. */
  maxPricePerHourUsd: usd.optional(),
  /** Spend cap of the UTC day: jobs submitted that day (billed) + live jobs' unspent budgets + the new budget. */
  dailySpendUsd: usd.optional(),
  /** The same for the UTC month. */
  monthlySpendUsd: usd.optional(),
});
export type TenantLimit = z.infer<typeof TenantLimitSchema>;
export type TenantLimitField = keyof TenantLimit;
export const TENANT_LIMIT_FIELDS = Object.keys(TenantLimitSchema.shape) as TenantLimitField[];

/** Tenant name (or `"*"`) → its limits. */
export type TenantLimits = Readonly<Record<string, Readonly<TenantLimit>>>;

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Parses the variable's text. Each problem names its entry and field, e.g.
 * `entry "ci": maxQueuedJobs must be at least 1 (got 0)`; none echoes more than the bad value.
 */
export const TenantLimitsSchema = z.string().transform((raw, ctx): TenantLimits => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: 'must be a JSON object, e.g. {"ci":{"maxQueuedJobs":50},"*":{}}',
    });
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    ctx.addIssue({ code: 'custom', message: 'must be a JSON object keyed by token name (or "*")' });
    return {};
  }
  // No prototype: a tenant may be called `__proto__` or `constructor`.
  const limits: Record<string, TenantLimit> = Object.create(null);
  for (const [name, entry] of Object.entries(parsed)) {
    if (name !== DEFAULT_TENANT && !NAME.test(name)) {
      ctx.addIssue({
        code: 'custom',
        message: `entry ${JSON.stringify(name)}: not a token name (1-64 of A-Z a-z 0-9 _ . -) or "*"`,
      });
      continue;
    }
    const result = TenantLimitSchema.safeParse(entry);
    if (!result.success) {
      for (const issue of result.error.issues) {
        ctx.addIssue({ code: 'custom', message: `entry "${name}": ${describeIssue(issue, entry)}` });
      }
      continue;
    }
    limits[name] = result.data;
  }
  return limits;
});

function describeIssue(issue: z.core.$ZodIssue, entry: unknown): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown field(s) ${issue.keys.join(', ')}; known: ${TENANT_LIMIT_FIELDS.join(', ')}`;
  }
  const field = issue.path[0];
  if (field === undefined) {
    return 'must be an object of limits, e.g. {"maxQueuedJobs":50}';
  }
  const given = (entry as Record<string, unknown>)[String(field)];
  const message =
    issue.code !== 'invalid_type'
      ? issue.message
      : issue.expected === 'int'
        ? 'must be a whole number'
        : `must be a ${issue.expected}`;
  return `${String(field)} ${message} (got ${JSON.stringify(given)})`;
}

/**
 * Names in TENANT_LIMITS that are not token names of API_TOKENS: refused at start (a typo would
 * silently leave that tenant on `"*"` or unlimited). Skipped when no token is configured (a process
 * that serves no API, e.g. a worker, cannot tell).
 */
export function unknownTenantNames(limits: TenantLimits, tokenNames: readonly string[]): string[] {
  if (tokenNames.length === 0) {
    return [];
  }
  const known = new Set(tokenNames);
  return Object.keys(limits).filter((name) => name !== DEFAULT_TENANT && !known.has(name));
}

/** The tenant's limits: its own entry, else `"*"`, else undefined (no limits at all). */
export function limitsFor(limits: TenantLimits, tenant: string): Readonly<TenantLimit> | undefined {
  return Object.hasOwn(limits, tenant) ? limits[tenant] : limits[DEFAULT_TENANT];
}

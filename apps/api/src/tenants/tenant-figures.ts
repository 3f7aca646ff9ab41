import {
  type Config,
  createFairQueue,
  type DeepReadonly,
  type JobStore,
  limitsFor,
  RUNNING_STATES,
  type TenantLimit,
} from '@clore-batch/shared';
import type { Redis } from 'ioredis';
import type { UsageReader } from '../submission/read-usage';

/** One tenant's limits and where it stands against them (metrics and the dashboard's Tenants view). */
export interface TenantFigures {
  /** A token name of API_TOKENS. */
  tenant: string;
  /** Its TENANT_LIMITS entry (its own, else `"*"`); `{}` when it has none. */
  limits: Readonly<TenantLimit>;
  /** What its jobs submitted this UTC day / month were billed (the admission check's usage reader). */
  billedUsd: { day: number; month: number };
  /** Unspent budgets of its live jobs: committed, counted against a cap at the next submit. */
  unspentUsd: number;
  /** Jobs `queued` in the store. */
  queued: number;
  /**
   * Running as the fair-share dispatch counts it (decision 0131): jobs past `queued`, not ended
   * (provisioning, running, collecting), plus jobs given a slot that are still `queued`.
   */
  running: number;
  /**
   * Queued jobs held back by maxRunningJobs: while the running count is at or above the limit,
   * every queued job not given a slot; else 0.
   */
  waitingForMaxRunning: number;
}

export interface TenantFiguresReader {
  /** Every tenant's figures, in API_TOKENS order; concurrent reads within `maxAgeMs` share one. */
  read(): Promise<TenantFigures[]>;
}

/** The tenants: the token names of API_TOKENS (bounded, so fit for metric labels). */
export function tenantNames(config: DeepReadonly<Config>): string[] {
  return [...new Set(config.API_TOKENS.map((token) => token.name))];
}

export function createTenantFiguresReader(deps: {
  config: DeepReadonly<Config>;
  store: JobStore;
  redis: Redis;
  usage: UsageReader;
  now?: () => Date;
  maxAgeMs?: number;
}): TenantFiguresReader {
  const now = deps.now ?? (() => new Date());
  const maxAgeMs = deps.maxAgeMs ?? 1_000;
  const fair = createFairQueue(deps.redis, deps.config.REDIS_PREFIX, deps.config.TENANT_LIMITS);
  let last: { at: number; figures: Promise<TenantFigures[]> } | undefined;

  async function figuresOf(tenant: string, at: Date): Promise<TenantFigures> {
    const limits = limitsFor(deps.config.TENANT_LIMITS, tenant) ?? {};
    const [usage, counts, admitted] = await Promise.all([
      deps.usage.read(tenant, at),
      deps.store.countByState(tenant),
      fair.admittedQueued(tenant),
    ]);
    // Read apart, not in one step: an admitted job may have left `queued` meanwhile.
    const admittedQueued = Math.min(admitted, counts.queued);
    const running = RUNNING_STATES.reduce((sum, state) => sum + counts[state], admittedQueued);
    const atLimit = limits.maxRunningJobs !== undefined && running >= limits.maxRunningJobs;
    return {
      tenant,
      limits,
      billedUsd: { ...usage.billedUsd },
      unspentUsd: usage.unspentUsd,
      queued: counts.queued,
      running,
      waitingForMaxRunning: atLimit ? counts.queued - admittedQueued : 0,
    };
  }

  return {
    read() {
      const at = now();
      if (last === undefined || at.getTime() - last.at >= maxAgeMs || at.getTime() < last.at) {
        const figures = Promise.all(tenantNames(deps.config).map((tenant) => figuresOf(tenant, at)));
        last = { at: at.getTime(), figures };
        figures.catch(() => {
          if (last?.figures === figures) {
            last = undefined; // a failed read is not kept
          }
        });
      }
      return last.figures;
    },
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by buildApp: the tenant figures, for plugins (the dashboard's Tenants view). */
    tenantFigures: TenantFiguresReader;
  }
}

import type { TenantFigures } from '../../tenants/tenant-figures';

/** Billed spend of a period against its cap (`capUsd`/`percentOfCap` absent without a cap). */
export interface SpendAgainstCap {
  billedUsd: number;
  capUsd?: number;
  percentOfCap?: number;
}

export interface TenantRow {
  tenant: string;
  limits: TenantFigures['limits'];
  spend: { day: SpendAgainstCap; month: SpendAgainstCap };
  /** Unspent budgets of live jobs: what the next submit's cap check also counts. */
  unspentUsd: number;
  queued: number;
  running: number;
  waitingForMaxRunning: number;
}

export interface TenantsView {
  tenants: TenantRow[];
}

function against(billedUsd: number, capUsd: number | undefined): SpendAgainstCap {
  return capUsd === undefined
    ? { billedUsd }
    : { billedUsd, capUsd, percentOfCap: Math.round((billedUsd / capUsd) * 1_000) / 10 };
}

/** The dashboard's Tenants view: per token name, limits and where it stands (no secrets). */
export function tenantsView(figures: readonly TenantFigures[]): TenantsView {
  return {
    tenants: figures.map((f) => ({
      tenant: f.tenant,
      limits: f.limits,
      spend: {
        day: against(f.billedUsd.day, f.limits.dailySpendUsd),
        month: against(f.billedUsd.month, f.limits.monthlySpendUsd),
      },
      unspentUsd: f.unspentUsd,
      queued: f.queued,
      running: f.running,
      waitingForMaxRunning: f.waitingForMaxRunning,
    })),
  };
}

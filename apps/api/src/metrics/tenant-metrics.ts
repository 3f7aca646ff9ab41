import { Gauge, type Registry } from 'prom-client';
import type { TenantFigures, TenantFiguresReader } from '../tenants/tenant-figures';

/** The TENANT_LIMITS fields exposed as `clore_batch_tenant_limit{tenant,limit}`. */
const LIMITS = ['maxRunningJobs', 'maxQueuedJobs', 'dailySpendUsd', 'monthlySpendUsd'] as const;

type Set = (labels: Record<string, string>, value: number) => void;

const GAUGES: Array<{
  name: string;
  help: string;
  labels: string[];
  fill(f: TenantFigures, set: Set): void;
}> = [
  {
    name: 'tenant_limit',
    help: "The tenant's TENANT_LIMITS value, by field (absent: no limit)",
    labels: ['limit'],
    fill(f, set) {
      for (const limit of LIMITS) {
        const value = f.limits[limit];
        if (value !== undefined) {
          set({ limit }, value);
        }
      }
    },
  },
  {
    name: 'tenant_billed_usd',
    help: "USD billed for the tenant's jobs submitted this UTC day / month (as its spend caps count it)",
    labels: ['period'],
    fill(f, set) {
      set({ period: 'day' }, f.billedUsd.day);
      set({ period: 'month' }, f.billedUsd.month);
    },
  },
  {
    name: 'tenant_jobs',
    help: "The tenant's jobs queued, and running (provisioning, running, collecting)",
    labels: ['state'],
    fill(f, set) {
      set({ state: 'queued' }, f.queued);
      set({ state: 'running' }, f.running);
    },
  },
  {
    name: 'tenant_waiting_jobs',
    help: "The tenant's queued jobs held back because it has maxRunningJobs running",
    labels: [],
    fill(f, set) {
      set({}, f.waitingForMaxRunning);
    },
  },
];

/**
 * Per-tenant gauges, read at scrape time from the tenant figures (one read per scrape, shared by
 * the gauges). The `tenant` label takes only the token names of API_TOKENS: bounded.
 */
export function registerTenantMetrics(
  registry: Registry,
  prefix: string,
  tenants: TenantFiguresReader,
): void {
  for (const gauge of GAUGES) {
    new Gauge({
      name: `${prefix}${gauge.name}`,
      help: gauge.help,
      labelNames: ['tenant', ...gauge.labels],
      registers: [registry],
      async collect() {
        const figures = await tenants.read();
        this.reset();
        for (const f of figures) {
          gauge.fill(f, (labels, value) => this.set({ tenant: f.tenant, ...labels }, value));
        }
      },
    });
  }
}

import { toUsd } from '@clore-batch/clore';
import type { JobStore, TelemetryCounters } from '@clore-batch/shared';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { TenantFiguresReader } from '../../tenants/tenant-figures';
import { createRateWindow, readLimiterView } from '../views/limiter-view';
import { type MoneyView, readMoneyView } from '../views/money-view';

export const MONEY_CACHE_MS = 5_000;

import { readOrdersView } from '../views/orders-view';
import { tenantsView } from '../views/tenants-view';
import { readUsdRates } from '../views/usd-rates';
import type { WalletSource } from '../views/wallet-source';

/** The dashboard's fleet endpoints: Clore orders joined to jobs, money, tenants, the rate limiter. */
export async function fleetApiRoutes(
  app: FastifyInstance,
  deps: {
    redis: Redis;
    store: JobStore;
    prefix: string;
    reaperGraceSeconds: number;
    counters: TelemetryCounters;
    wallets: WalletSource;
    tenants: TenantFiguresReader;
    now: () => Date;
  },
): Promise<void> {
  const api = { config: { dashboard: 'api' as const } };
  const window = createRateWindow();

  app.get('/admin/api/orders', api, async () => readOrdersView(deps, deps.now().getTime()));

  // Money reads every job record (≈200 ms for 5 000 jobs): computed at most once per MONEY_CACHE_MS
  // however many tabs poll it.
  let money: { at: number; view: Promise<MoneyView> } | undefined;
  app.get('/admin/api/money', api, async () => {
    const now = deps.now();
    if (money === undefined || now.getTime() - money.at >= MONEY_CACHE_MS || now.getTime() < money.at) {
      const view = readMoneyView(deps.store, now);
      money = { at: now.getTime(), view };
      view.catch(() => {
        money = undefined;
      });
    }
    const [view, wallets, rates] = await Promise.all([
      money.view,
      deps.wallets.get(),
      readUsdRates(deps.redis, deps.prefix),
    ]);
    if (wallets.status !== 'ok') {
      return { ...view, wallets };
    }
    // USD first, the native balance as the detail (undefined: no rate known for that currency).
    const priced = wallets.wallets.map((w) => ({ ...w, balanceUsd: toUsd(w.balance, w.currency, rates) }));
    return { ...view, wallets: { ...wallets, wallets: priced } };
  });

  app.get('/admin/api/tenants', api, async () => tenantsView(await deps.tenants.read()));

  app.get('/admin/api/limiter', api, async () =>
    readLimiterView(deps.counters, window, deps.now().getTime()),
  );
}

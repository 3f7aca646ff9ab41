import type { JobStore, TelemetryCounters } from '@clore-batch/shared';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { createRateWindow, readLimiterView } from '../views/limiter-view';
import { readMoneyView } from '../views/money-view';
import { readOrdersView } from '../views/orders-view';
import type { WalletSource } from '../views/wallet-source';

/** The dashboard's fleet endpoints: Clore orders joined to jobs, money, and the rate limiter. */
export async function fleetApiRoutes(
  app: FastifyInstance,
  deps: {
    redis: Redis;
    store: JobStore;
    prefix: string;
    reaperGraceSeconds: number;
    counters: TelemetryCounters;
    wallets: WalletSource;
    now: () => Date;
  },
): Promise<void> {
  const api = { config: { dashboard: 'api' as const } };
  const window = createRateWindow();

  app.get('/admin/api/orders', api, async () => readOrdersView(deps, deps.now().getTime()));

  app.get('/admin/api/money', api, async () => {
    const [money, wallets] = await Promise.all([readMoneyView(deps.store, deps.now()), deps.wallets.get()]);
    return { ...money, wallets };
  });

  app.get('/admin/api/limiter', api, async () =>
    readLimiterView(deps.counters, window, deps.now().getTime()),
  );
}

import type { Config, DeepReadonly } from '@clore-batch/shared';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { QueueDepthSamples } from '../charts/queue-depth-sampler';
import { leaderSilentMs, readAlerts } from '../views/alerts-view';
import type { WalletSource } from '../views/wallet-source';

/** GET /admin/api/alerts: what the page shows above every view (views/alerts-view.ts). */
export async function alertsApiRoutes(
  app: FastifyInstance,
  deps: {
    redis: Redis;
    prefix: string;
    wallets: WalletSource;
    samples: QueueDepthSamples;
    config: DeepReadonly<Config>;
    now: () => Date;
  },
): Promise<void> {
  const settings = {
    walletMinUsd: deps.config.ALERT_WALLET_MIN_USD,
    currency: deps.config.CLORE_CURRENCY,
    leaderSilentMs: leaderSilentMs(deps.config),
  };
  app.get('/admin/api/alerts', { config: { dashboard: 'api' } }, async () => ({
    alerts: await readAlerts(deps, settings, deps.now().getTime()),
  }));
}

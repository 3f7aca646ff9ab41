import { toUsd } from '@clore-batch/clore';
import { fleetKeys, parseFleetHash, readFleetRecord } from '@clore-batch/shared';
import type { Redis } from 'ioredis';
import type { QueueDepthSamples } from '../charts/queue-depth-sampler';
import { readUsdRates } from './usd-rates';
import type { WalletSource } from './wallet-source';

export type AlertId = 'wallet-low' | 'orphan-orders' | 'foreign-orders' | 'leader-silent' | 'code5-answers';

export interface Alert {
  id: AlertId;
  level: 'error' | 'warn';
  message: string;
}

export interface AlertSettings {
  walletMinUsd: number;
  currency: string;
  /** Older than this, the leader's my_orders snapshot (the reaper sweeps after each) counts as silent. */
  leaderSilentMs: number;
}

/** 3 × the leader's slowest my_orders cadence (ORDER_QUIET_POLL_INTERVAL_MS, default 20 × ORDER_POLL_INTERVAL_MS). */
export function leaderSilentMs(config: {
  ORDER_POLL_INTERVAL_MS: number;
  ORDER_QUIET_POLL_INTERVAL_MS?: number | undefined;
}): number {
  return 3 * (config.ORDER_QUIET_POLL_INTERVAL_MS ?? 20 * config.ORDER_POLL_INTERVAL_MS);
}

const HOUR_MS = 3_600_000;

/**
 * What an admin must act on, read fresh on each poll (a few Redis reads; the wallets through their
 * 60 s cache): the CLORE_CURRENCY wallet under ALERT_WALLET_MIN_USD, orphan orders not yet reaped,
 * foreign orders, no worker leader or a leader (and so a reaper) not heard from, and limiter code-5
 * answers in the last hour (the code-5 total now minus the oldest sample of the hour).
 */
export async function readAlerts(
  deps: { redis: Redis; prefix: string; wallets: WalletSource; samples: QueueDepthSamples },
  settings: AlertSettings,
  now: number,
): Promise<Alert[]> {
  const keys = fleetKeys(deps.prefix);
  const [leader, snapshotRaw, rates, orphansHash, foreignCount, wallets, hour, current] = await Promise.all([
    deps.redis.get(keys.leader),
    deps.redis.get(keys.ordersSnapshot),
    readUsdRates(deps.redis, deps.prefix),
    deps.redis.hgetall(keys.orphans),
    deps.redis.hlen(keys.foreignOrders),
    deps.wallets.get(),
    deps.samples.read(now - HOUR_MS),
    deps.samples.current(now),
  ]);
  const alerts: Alert[] = [];
  if (wallets.status === 'ok') {
    const wallet = wallets.wallets.find((w) => w.currency === settings.currency);
    const usd = wallet === undefined ? 0 : toUsd(wallet.balance, wallet.currency, rates);
    if (usd !== undefined && usd < settings.walletMinUsd) {
      alerts.push({
        id: 'wallet-low',
        level: 'error',
        message: `Wallet ${settings.currency} holds $${usd.toFixed(2)}, under the $${settings.walletMinUsd.toFixed(2)} alert threshold (ALERT_WALLET_MIN_USD): new orders may fail for lack of balance.`,
      });
    }
  }
  const orphans = [...parseFleetHash('orphan', orphansHash).records.values()].filter(
    (o) => o.reapedAt === undefined,
  );
  if (orphans.length > 0) {
    alerts.push({
      id: 'orphan-orders',
      level: 'error',
      message: `${orphans.length} orphan order(s) (no live job owns them) not reaped yet: ${orphans.map((o) => o.orderId).join(', ')}. See Orders.`,
    });
  }
  if (foreignCount > 0) {
    alerts.push({
      id: 'foreign-orders',
      level: 'warn',
      message: `${foreignCount} foreign order(s) on this API key: rented by something other than this deployment, never cancelled by it. See Orders.`,
    });
  }
  const snapshot = readFleetRecord('ordersSnapshot', snapshotRaw);
  if (leader === null) {
    alerts.push({
      id: 'leader-silent',
      level: 'error',
      message: 'No worker holds the fleet leader lease: nobody polls Clore orders or reaps orphans.',
    });
  } else if (snapshot === undefined || now - snapshot.at > settings.leaderSilentMs) {
    const age = snapshot === undefined ? 'never' : `${Math.round((now - snapshot.at) / 1000)} s ago`;
    alerts.push({
      id: 'leader-silent',
      level: 'error',
      message: `The fleet leader (my_orders poll and reaper) was last heard from ${age}.`,
    });
  }
  const oldest = hour[0];
  const code5 = oldest === undefined ? 0 : current.code5Total - oldest.code5Total;
  if (code5 > 0) {
    alerts.push({
      id: 'code5-answers',
      level: 'warn',
      message: `${code5} code-5 (rate limited) answer(s) from Clore in the last hour. See Rate limiter.`,
    });
  }
  return alerts;
}

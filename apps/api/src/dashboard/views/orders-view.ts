import { type Order, orderSpendUsd, toUsd, type UsdRates } from '@clore-batch/clore';
import {
  fleetKeys,
  type JobRecord,
  type JobStore,
  type OrderIntent,
  orphanReapableAt,
  parseFleetHash,
  readFleetRecord,
} from '@clore-batch/shared';
import type { Redis } from 'ioredis';

/** What an active order is to us. */
export type OrderKind = 'job' | 'orphan' | 'foreign' | 'unexplained';

export interface OrderRow {
  id: number;
  serverId: number;
  kind: OrderKind;
  jobId?: string;
  attempt?: number;
  jobState?: string;
  owner?: string;
  jobName?: string;
  currency: string;
  /** The native price per day, and in USD per hour at the marketplace snapshot's rates (undefined: rate unknown). */
  pricePerDay: number;
  pricePerHourUsd?: number;
  spend?: number;
  spendUsd?: number;
  /** Unix seconds. */
  createdAt?: number;
  ready: boolean;
  spot: boolean;
  /** A cancel is queued for this order (the leader keeps sending it until the order ends). */
  cancelPending: boolean;
  /**
   * Known to us but absent (or unreadable) in the latest my_orders answers, and not proven ended
   * (docs/decisions/0110): it may still bill. Redis ms of the first answer that missed it.
   */
  missingSinceMs?: number;
  /** Orphans: when the reaper first saw it, when it cancelled it or may from. */
  orphan?: { firstSeen: number; reapedAt?: number; reapableAt: number };
}

export interface OrdersView {
  /** No snapshot yet: no worker leader has polled my_orders. */
  snapshot: { version: number; at: number; ageMs: number } | undefined;
  orders: OrderRow[];
  ended: OrderRow[];
}

/** What ties an order to a job attempt: an intent, or an attempt record naming the order. */
type OrderLink = Pick<OrderIntent, 'jobId' | 'attempt' | 'orderId'>;

/** How many of the newest jobs are searched for the orders no intent or live job explains. */
export const RECENT_JOBS = 500;

async function jobsById(store: JobStore, ids: Iterable<string>): Promise<Map<string, JobRecord>> {
  const found = new Map<string, JobRecord>();
  await Promise.all(
    [...new Set(ids)].map(async (id) => {
      const job = await store.get(id).catch(() => undefined);
      if (job !== undefined) {
        found.set(id, job);
      }
    }),
  );
  return found;
}

/**
 * The leader's last my_orders snapshot joined to jobs: through the order intents (written before
 * each create_order, bound to the order id), and through the attempts of live jobs. Orders the
 * reaper holds as orphans or as foreign (no intent explains them) are marked as such. Every record
 * is read with the fleet's own schemas (@clore-batch/shared): an unreadable snapshot or marketplace
 * fails the view with FLEET_RECORD_MALFORMED (never shown as "no orders"); a malformed intent or
 * orphan entry is left out, as the worker's reaper leaves it out.
 */
export async function readOrdersView(
  deps: { redis: Redis; store: JobStore; prefix: string; reaperGraceSeconds: number },
  now: number,
): Promise<OrdersView> {
  const keys = fleetKeys(deps.prefix);
  const [snapshotRaw, marketRaw, intentsHash, foreignHash, orphansHash, cancelsHash] = await Promise.all([
    deps.redis.get(keys.ordersSnapshot),
    deps.redis.get(keys.marketplace),
    deps.redis.hgetall(keys.intents),
    deps.redis.hgetall(keys.foreignOrders),
    deps.redis.hgetall(keys.orphans),
    deps.redis.hgetall(keys.cancelInfo),
  ]);
  const snapshot = readFleetRecord('ordersSnapshot', snapshotRaw);
  const rates: UsdRates = readFleetRecord('marketplace', marketRaw)?.usdRates ?? { 'USD-Blockchain': 1 };
  const intentByOrder = new Map<number, OrderLink>();
  for (const intent of parseFleetHash('intent', intentsHash).records.values()) {
    if (intent.orderId !== undefined) {
      intentByOrder.set(intent.orderId, intent);
    }
  }
  const orphans = new Map(
    [...parseFleetHash('orphan', orphansHash).records.values()].map((o) => [o.orderId, o] as const),
  );
  const foreign = new Set(Object.keys(foreignHash).map(Number));
  const cancelling = new Set(Object.keys(cancelsHash).map(Number));

  // Jobs' attempts name their orders too: live jobs first (an intent may already be pruned), then,
  // for orders still unexplained (ended ones lose their intent), the newest RECENT_JOBS jobs.
  const attemptByOrder = new Map<number, OrderLink>();
  const addAttempts = (jobs: JobRecord[]) => {
    for (const job of jobs) {
      for (const attempt of job.attempts) {
        if (attempt.orderId !== undefined && !attemptByOrder.has(attempt.orderId)) {
          attemptByOrder.set(attempt.orderId, {
            jobId: job.id,
            attempt: attempt.n,
            orderId: attempt.orderId,
          });
        }
      }
    }
  };
  const live = await Promise.all(
    (['provisioning', 'running', 'collecting'] as const).map((state) =>
      deps.store.list({ state, limit: 500 }),
    ),
  );
  addAttempts(live.flatMap((page) => page.jobs));
  const unexplained = [
    ...(snapshot?.orders ?? []),
    ...(snapshot?.missing ?? []).flatMap((m) => (m.order === undefined ? [] : [m.order])),
    ...(snapshot?.ended ?? []),
  ].filter((o) => !intentByOrder.has(o.id) && !attemptByOrder.has(o.id) && !foreign.has(o.id));
  if (unexplained.length > 0) {
    addAttempts((await deps.store.list({ limit: RECENT_JOBS })).jobs);
  }
  const missingOrders = (snapshot?.missing ?? []).flatMap((m) => (m.order === undefined ? [] : [m.order]));
  const all = [...(snapshot?.orders ?? []), ...missingOrders, ...(snapshot?.ended ?? [])];
  const owners = all.map((o) => intentByOrder.get(o.id) ?? attemptByOrder.get(o.id) ?? orphans.get(o.id));
  const jobs = await jobsById(
    deps.store,
    owners.flatMap((o) => (o?.jobId === undefined ? [] : [o.jobId])),
  );

  const row = (order: Order): OrderRow => {
    const link = intentByOrder.get(order.id) ?? attemptByOrder.get(order.id);
    const orphan = orphans.get(order.id);
    const jobId = link?.jobId ?? orphan?.jobId;
    const job = jobId === undefined ? undefined : jobs.get(jobId);
    const kind: OrderKind =
      orphan !== undefined
        ? 'orphan'
        : foreign.has(order.id)
          ? 'foreign'
          : link !== undefined
            ? 'job'
            : 'unexplained';
    const result: OrderRow = {
      id: order.id,
      serverId: order.serverId,
      kind,
      currency: order.currency,
      pricePerDay: order.pricePerDay,
      ready: order.ready,
      spot: order.spot,
      cancelPending: cancelling.has(order.id),
    };
    const spendUsd = orderSpendUsd(order, rates);
    const pricePerHourUsd = toUsd(order.pricePerDay / 24, order.currency, rates);
    Object.assign(
      result,
      order.spend === undefined ? {} : { spend: order.spend },
      spendUsd === undefined ? {} : { spendUsd },
      pricePerHourUsd === undefined ? {} : { pricePerHourUsd },
      order.createdAt === undefined ? {} : { createdAt: order.createdAt },
      jobId === undefined ? {} : { jobId },
      (link?.attempt ?? orphan?.attempt) === undefined ? {} : { attempt: link?.attempt ?? orphan?.attempt },
      job === undefined
        ? {}
        : { jobState: job.state, owner: job.owner, ...(job.name ? { jobName: job.name } : {}) },
    );
    if (orphan !== undefined) {
      result.orphan = {
        firstSeen: orphan.firstSeen,
        reapableAt: orphanReapableAt(orphan, deps.reaperGraceSeconds * 1_000),
        ...(orphan.reapedAt === undefined ? {} : { reapedAt: orphan.reapedAt }),
      };
    }
    return result;
  };

  return {
    snapshot:
      snapshot === undefined
        ? undefined
        : { version: snapshot.version, at: snapshot.at, ageMs: now - snapshot.at },
    // Missing orders are shown with the active ones: until an order is proven ended it may bill.
    orders: [
      ...(snapshot?.orders ?? []).map(row),
      ...(snapshot?.missing ?? []).flatMap((m) =>
        m.order === undefined ? [] : [{ ...row(m.order), missingSinceMs: m.sinceMs }],
      ),
    ],
    ended: (snapshot?.ended ?? []).slice(-20).reverse().map(row),
  };
}

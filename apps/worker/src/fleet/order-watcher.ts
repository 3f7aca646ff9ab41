import type { CloreClient } from '@clore-batch/clore';
import type { FleetKeys, Logger, TelemetryCounters } from '@clore-batch/shared';
import { METRICS } from '@clore-batch/shared';
import type { Redis } from 'ioredis';
import { pendingCancelIds, settleCancels } from './cancel-queue';
import { fleetNow } from './fleet-clock';
import { FENCED_SET_PUBLISH } from './fleet-scripts';
import type { OrdersSnapshot } from './fleet-types';
import { readOrdersSnapshot } from './order-book';
import { nextSnapshot } from './orders-snapshot';

export interface OrderWatcherDeps {
  redis: Redis;
  keys: FleetKeys;
  client: CloreClient;
  leaseId: string;
  logger: Logger;
  telemetry: TelemetryCounters;
  now: () => number;
  /** Ask for the next round early (a vanished order needs a returnCompleted poll for its figures). */
  wakeSelf: () => void;
  /** Runs after each stored snapshot (the reaper). A throw is logged; the snapshot stays stored. */
  afterPoll: (snapshot: OrdersSnapshot) => Promise<void>;
}

/**
 * The leader's order watcher round (docs/decisions/0046): one my_orders call serves every job of
 * the deployment. It asks with `returnCompleted: true` only when final figures are wanted: a cancel
 * is pending, or an order vanished from the previous plain poll. The snapshot is stored fenced by
 * the lease and announced on `ordersChanged`; then pending cancels are settled and the reaper runs.
 */
export function orderWatchRound(deps: OrderWatcherDeps) {
  const { redis, keys, logger } = deps;
  let wantCompleted = false;
  return async (signal: AbortSignal): Promise<undefined> => {
    const pending = new Set(await pendingCancelIds(redis, keys));
    const returnCompleted = wantCompleted || pending.size > 0;
    const startedAt = await fleetNow(redis);
    const listed = await deps.client.myOrders({ returnCompleted }, { signal });
    const previous = await readOrdersSnapshot(redis, keys);
    const { snapshot, vanishedWithoutFinal } = nextSnapshot({
      previous,
      listed,
      returnCompleted,
      pendingCancelIds: pending,
      startedAt,
      at: deps.now(),
    });
    const written = await redis.eval(
      FENCED_SET_PUBLISH,
      2,
      keys.leader,
      keys.ordersSnapshot,
      deps.leaseId,
      JSON.stringify(snapshot),
      keys.ordersChanged,
      String(snapshot.version),
    );
    if (Number(written) !== 1) {
      logger.warn('orders snapshot not stored: this process no longer holds the leader lease');
      return undefined;
    }
    wantCompleted = vanishedWithoutFinal.length > 0;
    if (wantCompleted) {
      logger.info(
        { orderIds: vanishedWithoutFinal },
        'orders ended on their own; polling again for their final figures',
      );
      deps.wakeSelf();
    }
    await deps.telemetry.set(METRICS.activeOrders, snapshot.orders.length);
    const settled = await settleCancels(redis, keys, snapshot);
    if (settled.length > 0) {
      logger.info({ orderIds: settled }, `${settled.length} cancelled order(s) confirmed ended`);
    }
    try {
      await deps.afterPoll(snapshot);
    } catch (error) {
      logger.warn(
        { err: error },
        `after-poll duty failed (${(error as Error).message}); next poll retries it`,
      );
    }
    return undefined;
  };
}

import type { CloreClient } from '@clore-batch/clore';
import type { CancelInfo, FleetKeys, Logger, TelemetryCounters } from '@clore-batch/shared';
import { fleetRecordJson, METRICS } from '@clore-batch/shared';
import type { Redis } from 'ioredis';
import { pendingCancelIds, readCancelInfos, settleCancels } from './cancel-queue';
import { fleetNow } from './fleet-clock';
import { FENCED_SET_PUBLISH, REQUEST_CANCEL } from './fleet-scripts';
import type { OrdersSnapshot } from './fleet-types';
import { readMyOrders } from './my-orders-report';
import { readOrdersSnapshot } from './order-book';
import { nextSnapshot } from './orders-snapshot';
import { type DemandReading, readPollDemand } from './poll-demand';

/** The watcher's three cadences (docs/decisions/0055). */
export interface PollCadence {
  /** Someone waits urgently for order state, or a cancel is pending (ORDER_POLL_INTERVAL_MS). */
  fastMs: number;
  /** Only background watchers, active orders or intents (ORDER_IDLE_POLL_INTERVAL_MS). */
  idleMs: number;
  /** Nothing to watch: the reaper's safety poll. */
  quietMs: number;
}

/**
 * The delay from this poll's start to the next one. Pending cancels are not counted here: a cancel
 * this very poll confirms would otherwise keep the cadence fast for nothing; the round shortens the
 * delay after settling cancels if some remain. Pure.
 */
export function pollDelay(demand: DemandReading, activeOrders: number, cadence: PollCadence): number {
  if (demand.urgent > 0) {
    return cadence.fastMs;
  }
  if (demand.background > 0 || activeOrders > 0 || demand.intents > 0 || demand.cancels > 0) {
    return cadence.idleMs;
  }
  return cadence.quietMs;
}

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
  cadence: PollCadence;
  /** Answers without an order after our accepted cancel that prove it ended (default 3). */
  endAfterMisses?: number;
}

/**
 * The leader's order watcher round (docs/decisions/0046): one my_orders call serves every job of
 * the deployment. It asks with `returnCompleted: true` only when final figures are wanted: a cancel
 * is pending, or an order vanished from the previous plain poll. The snapshot is stored fenced by
 * the lease and announced on `ordersChanged`; then pending cancels are settled and the reaper runs.
 * The round returns the delay to the next poll, from the deployment's demand (docs/decisions/0055),
 * and announces it in the snapshot (`nextPollInMs`): a budget check looks that far ahead.
 */
export function orderWatchRound(deps: OrderWatcherDeps) {
  const { redis, keys, logger } = deps;
  let wantCompleted = false;
  return async (signal: AbortSignal): Promise<number | undefined> => {
    const pendingIds = await pendingCancelIds(redis, keys);
    const pending = new Set(pendingIds);
    const infos = await readCancelInfos(redis, keys, pendingIds);
    const cancelAcceptedAt = new Map<number, number>();
    const provenEnded = new Set<number>();
    for (const [id, info] of infos) {
      if (info.acceptedAt !== undefined) {
        cancelAcceptedAt.set(id, info.acceptedAt);
      }
      if (info.provenEndedAt !== undefined) {
        provenEnded.add(id);
      }
    }
    const returnCompleted = wantCompleted || pending.size > 0;
    const startedAt = await fleetNow(redis);
    const report = await readMyOrders(deps.client, { returnCompleted }, { signal });
    const answeredAt = await fleetNow(redis);
    if (report.unreadable.length > 0) {
      logger.warn(
        { unreadable: report.unreadable },
        `${report.unreadable.length} order(s) in the my_orders answer could not be read; the others are used`,
      );
    }
    const previous = await readOrdersSnapshot(redis, keys);
    const next = nextSnapshot({
      previous,
      listed: report.orders,
      unreadable: report.unreadable,
      returnCompleted,
      pendingCancelIds: pending,
      cancelAcceptedAt,
      provenEnded,
      startedAt,
      answeredAt,
      at: deps.now(),
      ...(deps.endAfterMisses === undefined ? {} : { endAfterMisses: deps.endAfterMisses }),
    });
    const { vanishedWithoutFinal } = next;
    for (const id of next.revived) {
      // Ended on our cancel's evidence, yet listed active again: it bills, and it is ours. Cancel it
      // again before the snapshot that no longer calls it ended is stored (a throw retries the round).
      const info: CancelInfo = { orderId: id, reason: 'revived', requestedAt: startedAt, sends: 0 };
      await redis.eval(
        REQUEST_CANCEL,
        2,
        keys.cancels,
        keys.cancelInfo,
        String(id),
        startedAt,
        fleetRecordJson('cancelInfo', info),
        keys.cancelRequests,
      );
      logger.warn(
        { orderId: id },
        `order ${id} was called ended on our cancel's evidence but is listed active again; cancelling it again`,
      );
    }
    // Read after the answer: a waiter that registered during the call is counted.
    const demand = await readPollDemand(redis, keys);
    let delayMs = pollDelay(
      demand,
      next.snapshot.orders.length + (next.snapshot.missing?.length ?? 0),
      deps.cadence,
    );
    const snapshot: OrdersSnapshot = { ...next.snapshot, nextPollInMs: delayMs };
    const written = await redis.eval(
      FENCED_SET_PUBLISH,
      2,
      keys.leader,
      keys.ordersSnapshot,
      deps.leaseId,
      fleetRecordJson('ordersSnapshot', snapshot),
      keys.ordersChanged,
      String(snapshot.version),
    );
    if (Number(written) !== 1) {
      logger.warn('orders snapshot not stored: this process no longer holds the leader lease');
      return deps.cadence.fastMs;
    }
    wantCompleted = next.wantCompleted;
    if (vanishedWithoutFinal.length > 0) {
      // Missing is not ended (docs/decisions/0110): an `expired` entry in a returnCompleted answer is evidence.
      logger.info(
        { orderIds: vanishedWithoutFinal },
        'orders missing from the my_orders answer (not ended without evidence); polling again with completed orders',
      );
      deps.wakeSelf();
    }
    // Missing orders may still bill: counted as active.
    await deps.telemetry.set(METRICS.activeOrders, snapshot.orders.length + (snapshot.missing?.length ?? 0));
    const settled = await settleCancels(redis, keys, snapshot);
    if (settled.length > 0) {
      logger.info({ orderIds: settled }, `${settled.length} cancelled order(s) confirmed ended`);
    }
    if (demand.cancels > settled.length) {
      // A release waits for the end of an order still pending: fast (never slower than announced).
      delayMs = Math.min(delayMs, deps.cadence.fastMs);
    }
    try {
      await deps.afterPoll(snapshot);
    } catch (error) {
      logger.warn(
        { err: error },
        `after-poll duty failed (${(error as Error).message}); next poll retries it`,
      );
    }
    return delayMs;
  };
}

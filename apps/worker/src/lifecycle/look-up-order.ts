import { fleetNow } from '../fleet/fleet-clock';
import type { OrdersSnapshot } from '../fleet/fleet-types';
import type { JobRun } from './job-run';
import { findNewOrder, watchOrders } from './order-views';

/** Where a create_order may have made an order: the server, and when its intent was written (Redis time). */
export interface OrderTry {
  serverId: number;
  intentAt: number;
}

/** The order ids bound to intents other than these tries': never mistaken for theirs. */
async function othersOrders(run: JobRun, attempt: number, tries: readonly OrderTry[]): Promise<Set<number>> {
  const intents = await run.deps.fleet.intents.list();
  const ours = (serverId: number) => tries.some((t) => t.serverId === serverId);
  return new Set(
    intents
      .filter(
        (i) => !(i.jobId === run.id && i.attempt === attempt && ours(i.serverId)) && i.orderId !== undefined,
      )
      .map((i) => i.orderId as number),
  );
}

/**
 * Look for an order a create_order of attempt `attempt` made on any of `tries`' servers, in the
 * order book, until `untilMs`. Returns the first found (order id and its server).
 */
export async function lookUpOrder(
  run: JobRun,
  options: { attempt: number; tries: readonly OrderTry[]; untilMs: number },
): Promise<{ orderId: number; serverId: number } | undefined> {
  const exclude = await othersOrders(run, options.attempt, options.tries);
  // Redis time: compared with the snapshots' startedAt (docs/decisions/0113; versions are not steps of one).
  const searchStartedAt = await fleetNow(run.deps.redis);
  const find = (s: OrdersSnapshot) => {
    for (const t of options.tries) {
      const order = findNewOrder(s, { serverId: t.serverId, notBeforeMs: t.intentAt, exclude });
      if (order !== undefined) {
        return { orderId: order.id, serverId: t.serverId };
      }
    }
    return undefined;
  };
  const watch = { signal: run.stopSignal, poll: true };
  const found = await watchOrders(run.deps, { ...watch, untilMs: options.untilMs }, find);
  if (found !== undefined) {
    return found;
  }
  // "No order" is only believed from a my_orders answer whose call began after this search did (its
  // Redis startedAt is later): the poll in flight when it began may predate the create. A leader that
  // is slow to come gives up at freshSnapshotWaitMs (the caller then keeps the intent: the reaper
  // covers a late order).
  const NONE = { none: true } as const;
  const settled = await watchOrders(
    run.deps,
    { ...watch, untilMs: Date.now() + run.deps.settings.freshSnapshotWaitMs },
    (s) => find(s) ?? (s.startedAt !== undefined && s.startedAt > searchStartedAt ? NONE : undefined),
  );
  if (settled === undefined) {
    run.log.warn(
      { attempt: options.attempt, servers: options.tries.map((t) => t.serverId) },
      'no fresh order snapshot came to confirm that no order was made',
    );
    return undefined;
  }
  return 'none' in settled ? undefined : settled;
}

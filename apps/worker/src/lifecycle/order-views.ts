import type { Order } from '@clore-batch/clore';
import type { OrdersSnapshot } from '../fleet/fleet-types';
import type { LifecycleDeps } from './deps';

/**
 * Visit order book snapshots (the leader's my_orders answers) until `visit` returns a value, the
 * time is `untilMs`, or `signal` aborts (rejects with its reason). Never polls Clore itself.
 */
export async function watchOrders<T>(
  deps: LifecycleDeps,
  options: { untilMs: number; signal?: AbortSignal | undefined; poll?: boolean },
  visit: (snapshot: OrdersSnapshot) => T | undefined,
): Promise<T | undefined> {
  const orders = deps.fleet.orderBook;
  let snapshot = await orders.current();
  for (;;) {
    options.signal?.throwIfAborted();
    if (snapshot !== undefined) {
      const found = visit(snapshot);
      if (found !== undefined) {
        return found;
      }
    }
    const remaining = options.untilMs - Date.now();
    if (remaining <= 0) {
      return undefined;
    }
    if (options.poll === true) {
      await orders.requestPoll();
    }
    const timeout = AbortSignal.timeout(remaining);
    const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
    try {
      snapshot = await orders.next(snapshot?.version ?? 0, signal);
    } catch (error) {
      if (options.signal?.aborted) {
        throw options.signal.reason;
      }
      if (timeout.aborted) {
        return undefined;
      }
      throw error;
    }
  }
}

/** Where an order stands in a snapshot. */
export type OrderState =
  | { kind: 'active'; order: Order }
  | { kind: 'ended'; order?: Order }
  | { kind: 'unknown' };

/**
 * `knownSince`: a time (ms) at which the order was known to exist; a snapshot taken after it that
 * lacks the order means it ended.
 */
export function orderState(snapshot: OrdersSnapshot, orderId: number, knownSince?: number): OrderState {
  const active = snapshot.orders.find((o) => o.id === orderId);
  if (active !== undefined && active.active) {
    return { kind: 'active', order: active };
  }
  const ended = snapshot.ended.find((o) => o.id === orderId) ?? active;
  if (ended !== undefined) {
    return { kind: 'ended', order: ended };
  }
  if (knownSince !== undefined && snapshot.at > knownSince) {
    return { kind: 'ended' };
  }
  return { kind: 'unknown' };
}

/**
 * The order a create_order on `serverId` made: an active order on that server, created no earlier
 * than the intent (with slack for clocks), not bound to another job's intent.
 */
export function findNewOrder(
  snapshot: OrdersSnapshot,
  options: { serverId: number; notBeforeMs: number; exclude: ReadonlySet<number> },
): Order | undefined {
  const notBefore = Math.floor((options.notBeforeMs - 60_000) / 1000);
  const matches = snapshot.orders.filter(
    (o) =>
      o.serverId === options.serverId &&
      o.active &&
      !options.exclude.has(o.id) &&
      (o.createdAt === undefined || o.createdAt >= notBefore),
  );
  matches.sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0) || b.id - a.id);
  return matches[0];
}

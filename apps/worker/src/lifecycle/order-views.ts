import type { Order } from '@clore-batch/clore';
import type { OrdersSnapshot } from '../fleet/fleet-types';
import type { LifecycleDeps } from './deps';

/**
 * Visit order book snapshots (the leader's my_orders answers) until `visit` returns a value, the
 * time is `untilMs`, or `signal` aborts (rejects with its reason). Never polls Clore itself. Its
 * waits are urgent (an order to find, to come up or to end): the leader polls at its fast cadence
 * while any such wait is open (docs/decisions/0055).
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
      snapshot = await orders.next(snapshot?.version ?? 0, { signal, urgency: 'urgent' });
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
 * Follows one order through successive snapshots. Ended: listed as ended, or missing from a
 * snapshot newer than one that listed it active, or never seen by the time `unseenDeadline` (ms)
 * passed (an order gone before this worker looked, e.g. after a restart). A snapshot that simply
 * predates the order (a poll in flight during create_order) never counts as its end.
 */
export class OrderTracker {
  readonly orderId: number;
  readonly #unseenDeadline: number;
  #seenVersion: number | undefined;

  constructor(orderId: number, unseenDeadline: number) {
    this.orderId = orderId;
    this.#unseenDeadline = unseenDeadline;
  }

  state(snapshot: OrdersSnapshot): OrderState {
    const active = snapshot.orders.find((o) => o.id === this.orderId);
    if (active?.active) {
      this.#seenVersion ??= snapshot.version;
      return { kind: 'active', order: active };
    }
    const ended = snapshot.ended.find((o) => o.id === this.orderId) ?? active;
    if (ended !== undefined) {
      return { kind: 'ended', order: ended };
    }
    if (
      this.#seenVersion !== undefined
        ? snapshot.version > this.#seenVersion
        : snapshot.at > this.#unseenDeadline
    ) {
      return { kind: 'ended' };
    }
    return { kind: 'unknown' };
  }
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

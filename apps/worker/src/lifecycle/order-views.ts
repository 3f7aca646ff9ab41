import type { Order } from '@clore-batch/clore';
import type { OrdersSnapshot } from '../fleet/fleet-types';
import { endedIn, missingIn } from '../fleet/orders-snapshot';
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

/**
 * Where an order stands in a snapshot (INTERFACES.md). `missing`: known, absent from (or unreadable
 * in) the latest answer(s), not proven ended; `order` = last known figures, `sinceMs` = Redis ms
 * when it was first missed. `ended` only on evidence (docs/decisions/0110).
 */
export type OrderState =
  | { kind: 'active'; order: Order }
  | { kind: 'missing'; order: Order; sinceMs: number }
  | { kind: 'ended'; order?: Order }
  | { kind: 'unknown' };

/**
 * Follows one order through successive snapshots. Ended ONLY on evidence: listed in `ended` (seen
 * expired, or absent after our accepted cancel) or `endedIds` (a cancel answer proved it). An order
 * absent from an answer is `missing` (with its last figures), never ended: a provider can answer
 * short or empty (clore-api.md Part A 7). An order never seen is `unknown`, however long ago it was
 * made: releasing it (a cancel, whose answer is evidence) is how its end is learnt.
 */
export class OrderTracker {
  readonly orderId: number;
  #last: Order | undefined;
  #missingSince: number | undefined;

  /** `_unseenDeadline` is no longer used (an order never seen stays `unknown`); kept for callers. */
  constructor(orderId: number, _unseenDeadline?: number) {
    this.orderId = orderId;
  }

  state(snapshot: OrdersSnapshot): OrderState {
    const active = snapshot.orders.find((o) => o.id === this.orderId);
    if (active?.active) {
      this.#last = active;
      this.#missingSince = undefined;
      return { kind: 'active', order: active };
    }
    const ended = endedIn(snapshot, this.orderId);
    if (ended.ended) {
      const order = ended.order ?? active ?? this.#last;
      return order === undefined ? { kind: 'ended' } : { kind: 'ended', order };
    }
    const missing = missingIn(snapshot, this.orderId);
    const order = missing?.order ?? active ?? this.#last;
    if (order !== undefined) {
      // Known to us and not listed active: missing (also when a snapshot dropped it without evidence).
      this.#missingSince ??= missing?.sinceMs ?? snapshot.startedAt ?? snapshot.at;
      return { kind: 'missing', order, sinceMs: missing?.sinceMs ?? this.#missingSince };
    }
    return { kind: 'unknown' };
  }
}

/**
 * The order a create_order on `serverId` made: an active order on that server FIRST SEEN (Redis time
 * of the answer that first listed it) no earlier than the intent (Redis time, written before the
 * create), not bound to another job's intent; the newest first. No clock but Redis's is used: the
 * provider's `ct` and worker clocks may be minutes off (Part A 18, docs/decisions/0111). An order
 * without `firstSeenAt` (a snapshot of an older leader) is accepted.
 */
export function findNewOrder(
  snapshot: OrdersSnapshot,
  options: { serverId: number; notBeforeMs: number; exclude: ReadonlySet<number> },
): Order | undefined {
  const seen = (o: Order) => snapshot.firstSeenAt?.[o.id];
  const matches = snapshot.orders.filter((o) => {
    const first = seen(o);
    return (
      o.serverId === options.serverId &&
      o.active &&
      !options.exclude.has(o.id) &&
      (first === undefined || first >= options.notBeforeMs)
    );
  });
  matches.sort((a, b) => (seen(b) ?? 0) - (seen(a) ?? 0) || b.id - a.id);
  return matches[0];
}

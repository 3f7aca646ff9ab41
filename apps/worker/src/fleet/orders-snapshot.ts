import type { Order } from '@clore-batch/clore';
import type { OrdersSnapshot } from './fleet-types';

/** How many recently ended orders a snapshot keeps (newest last). */
export const ENDED_KEEP = 256;

export interface NextSnapshotInput {
  previous: OrdersSnapshot | undefined;
  /** What my_orders answered (with `returnCompleted`, ended orders too). */
  listed: readonly Order[];
  returnCompleted: boolean;
  /** Orders with a pending cancel: their ended entries are wanted even if never seen active. */
  pendingCancelIds: ReadonlySet<number>;
  startedAt: number;
  at: number;
  endedKeep?: number;
}

export interface NextSnapshotResult {
  snapshot: OrdersSnapshot;
  /** Orders that vanished from a plain poll: their final figures need a returnCompleted poll. */
  vanishedWithoutFinal: number[];
}

function asEnded(order: Order): Order {
  return { ...order, expired: true, active: false, ready: false };
}

/**
 * Build the next snapshot from the previous one and a my_orders answer (pure; docs/decisions/0046).
 * - `orders`: the active ones. An order that vanished from a plain poll (no returnCompleted) is
 *   kept one more poll with its last known figures: the caller polls again at once with
 *   returnCompleted, so `ended` gets the provider's final spend, not a stale one.
 * - `ended`: carried over, plus every order of the previous snapshot that is no longer active
 *   (with the final figures when the answer lists it as expired; with its last known figures when
 *   even a returnCompleted answer does not list it),
 *   plus expired orders with a pending cancel; an ended entry is replaced whenever a returnCompleted
 *   answer gives fresher figures for it.
 */
export function nextSnapshot(input: NextSnapshotInput): NextSnapshotResult {
  const previous = input.previous;
  const active = input.listed.filter((order) => order.active);
  const activeIds = new Set(active.map((order) => order.id));
  const expired = new Map(input.listed.filter((order) => !order.active).map((order) => [order.id, order]));
  const ended: Order[] = (previous?.ended ?? [])
    .filter((order) => !activeIds.has(order.id))
    .map((order) => expired.get(order.id) ?? order);
  const endedIds = new Set(ended.map((order) => order.id));
  const vanishedWithoutFinal: number[] = [];
  const heldBack: Order[] = [];
  for (const order of previous?.orders ?? []) {
    if (activeIds.has(order.id) || endedIds.has(order.id)) {
      continue;
    }
    const final = expired.get(order.id);
    if (final === undefined && !input.returnCompleted) {
      // Gone from a plain poll: held one more poll, until a returnCompleted poll gives its final figures.
      vanishedWithoutFinal.push(order.id);
      heldBack.push(order);
      continue;
    }
    ended.push(final ?? asEnded(order));
    endedIds.add(order.id);
  }
  for (const id of input.pendingCancelIds) {
    const final = expired.get(id);
    if (final !== undefined && !endedIds.has(id)) {
      ended.push(final);
      endedIds.add(id);
    }
  }
  const keep = input.endedKeep ?? ENDED_KEEP;
  return {
    snapshot: {
      version: (previous?.version ?? 0) + 1,
      at: input.at,
      startedAt: input.startedAt,
      orders: [...active, ...heldBack],
      ended: ended.slice(Math.max(0, ended.length - keep)),
    },
    vanishedWithoutFinal,
  };
}

/**
 * Has `orderId` ended, as far as `snapshot` can tell? Yes when it is in `ended`, or when it is not
 * active in a snapshot whose poll started after `knownSince` (a Redis time at which the order was
 * known to exist). An order so new that this poll could not have seen it is never called ended.
 */
export function endedIn(
  snapshot: OrdersSnapshot,
  orderId: number,
  knownSince: number,
): { ended: boolean; order?: Order } {
  const order = snapshot.ended.find((o) => o.id === orderId);
  if (order !== undefined) {
    return { ended: true, order };
  }
  if (snapshot.orders.some((o) => o.id === orderId)) {
    return { ended: false };
  }
  return { ended: snapshot.startedAt !== undefined && snapshot.startedAt > knownSince };
}

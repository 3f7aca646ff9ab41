import type { Order } from '@clore-batch/clore';
import type { MissingOrder, OrdersSnapshot } from './fleet-types';

/** How many recently ended orders a snapshot keeps (newest last). */
export const ENDED_KEEP = 256;

/** Consecutive answers without an order, after our accepted cancel, that prove it ended (default). */
export const END_AFTER_MISSES = 3;

/** A missing order without a pending cancel is dropped after this long (someone else's). */
export const FORGET_MISSING_AFTER_MS = 86_400_000;

export interface NextSnapshotInput {
  previous: OrdersSnapshot | undefined;
  /** What my_orders answered and could be read (with `returnCompleted`, ended orders too). */
  listed: readonly Order[];
  /** Orders the answer listed but that could not be read (only their ids matter here). */
  unreadable?: readonly { id?: number | undefined }[];
  returnCompleted: boolean;
  /** Orders with a pending cancel: their ended entries are wanted even if never seen active. */
  pendingCancelIds: ReadonlySet<number>;
  /** Order id → Redis time when the provider accepted our cancel for it (docs/decisions/0110). */
  cancelAcceptedAt?: ReadonlyMap<number, number>;
  /** Orders a cancel answer proved ended (`order_not_active`, `you_dont_own_this_order`). */
  provenEnded?: ReadonlySet<number>;
  /** Redis time just before the call. */
  startedAt: number;
  /** Redis time right after the answer (default startedAt). */
  answeredAt?: number;
  /** Local time of the answer (display only). */
  at: number;
  endedKeep?: number;
  /** Answers without the order after our accepted cancel that prove its end (default 3). */
  endAfterMisses?: number;
  /**
   * A missing order with no cancel pending is forgotten after this long (default 24 h): only
   * someone else's order gets there (the reaper asks a cancel for ours, which brings evidence).
   */
  forgetMissingAfterMs?: number;
}

export interface NextSnapshotResult {
  snapshot: OrdersSnapshot;
  /** Orders that went missing in this answer (absent or unreadable, not proven ended). */
  vanishedWithoutFinal: number[];
  /** Some order is missing: ask the next answer with returnCompleted (an `expired` entry is evidence). */
  wantCompleted: boolean;
  /** Orders ended on the evidence of our cancel that this answer lists active again: cancel them again. */
  revived: number[];
}

/**
 * An order ended on evidence without its final figures: its last seen `spend` is not the bill (it
 * may have billed unseen since), so it is dropped and the final cost falls back to price x elapsed.
 */
function asEnded(order: Order): Order {
  const { spend: _lastSeen, ...rest } = order;
  return { ...rest, expired: true, active: false, ready: false };
}

/**
 * Build the next snapshot from the previous one and a my_orders answer (pure; docs/decisions/0046,
 * 0110). Evidence, not absence (clore-api.md Part A 7): an order we knew is ENDED only when the
 * answer lists it expired, a cancel answer proved it (`provenEnded`), or it was absent from
 * `endAfterMisses` consecutive answers whose calls began after our cancel for it was accepted.
 * Absent otherwise (a short or empty answer, an unreadable entry) it is MISSING: kept in `missing`
 * with its last known figures and the time it was first missed, never called ended.
 * - `orders`: the active ones this answer listed.
 * - `ended`: carried over (with fresher final figures when listed expired), plus the orders proven
 *   ended now; `endedIds` the same for orders whose figures were never known.
 * - `firstSeenAt`: for each order in `orders`/`missing`, the Redis time of the answer that first
 *   listed it (the clock-free basis of intent matching, docs/decisions/0111).
 * - `version`: `max(previous + 1, startedAt)`, so it never restarts after a Redis loss (0113).
 */
export function nextSnapshot(input: NextSnapshotInput): NextSnapshotResult {
  const previous = input.previous;
  const answeredAt = input.answeredAt ?? input.startedAt;
  const endAfter = input.endAfterMisses ?? END_AFTER_MISSES;
  const active = input.listed.filter((order) => order.active);
  const activeIds = new Set(active.map((order) => order.id));
  const expired = new Map(input.listed.filter((order) => !order.active).map((order) => [order.id, order]));
  const unreadable = new Set(
    (input.unreadable ?? []).map((u) => u.id).filter((id): id is number => id !== undefined),
  );
  const prevOrders = new Map((previous?.orders ?? []).map((order) => [order.id, order]));
  const prevMissing = new Map((previous?.missing ?? []).map((m) => [m.id, m]));
  const prevFirst = previous?.firstSeenAt ?? {};
  const prevAbsent = previous?.absentBefore ?? {};

  const ended: Order[] = (previous?.ended ?? [])
    .filter((order) => !activeIds.has(order.id))
    .map((order) => expired.get(order.id) ?? order);
  const endedSet = new Set(ended.map((order) => order.id));
  const endedIds: number[] = (previous?.endedIds ?? []).filter(
    (id) => !activeIds.has(id) && !endedSet.has(id),
  );
  for (const id of endedIds) {
    endedSet.add(id);
  }
  const prevByCancel = previous?.endedByCancel ?? [];
  const revived = prevByCancel.filter((id) => activeIds.has(id));
  const endedByCancel = prevByCancel.filter((id) => !activeIds.has(id));
  const end = (id: number, order: Order | undefined) => {
    if (order === undefined) {
      endedIds.push(id);
    } else {
      ended.push(order);
    }
    endedSet.add(id);
  };

  const firstSeenAt: Record<string, number> = {};
  const absentBefore: Record<string, number> = {};
  for (const order of active) {
    const known = prevOrders.has(order.id) || prevMissing.has(order.id);
    // An order an older leader listed has no entry: it was seen at least by that answer.
    firstSeenAt[order.id] = prevFirst[order.id] ?? (known ? (previous?.startedAt ?? answeredAt) : answeredAt);
    const absent = prevFirst[order.id] !== undefined || known ? prevAbsent[order.id] : previous?.startedAt;
    if (absent !== undefined) {
      absentBefore[order.id] = absent;
    }
  }

  const candidates = new Set<number>([
    ...prevOrders.keys(),
    ...prevMissing.keys(),
    ...input.pendingCancelIds,
  ]);
  const missing: MissingOrder[] = [];
  const vanished: number[] = [];
  for (const id of candidates) {
    if (activeIds.has(id) || endedSet.has(id)) {
      continue;
    }
    const final = expired.get(id);
    const prior = prevMissing.get(id);
    const last = prevOrders.get(id) ?? prior?.order;
    if (final !== undefined) {
      end(id, final);
      continue;
    }
    if (input.provenEnded?.has(id)) {
      end(id, last === undefined ? undefined : asEnded(last));
      endedByCancel.push(id);
      continue;
    }
    const acceptedAt = input.cancelAcceptedAt?.get(id);
    if (last === undefined && prior === undefined && acceptedAt === undefined) {
      // A pending cancel for an order no answer listed yet (too new, or not accepted yet): nothing known.
      continue;
    }
    const isUnreadable = unreadable.has(id);
    const countsAfterCancel = acceptedAt !== undefined && input.startedAt > acceptedAt && !isUnreadable;
    const missesAfterCancel = (prior?.missesAfterCancel ?? 0) + (countsAfterCancel ? 1 : 0);
    if (missesAfterCancel >= endAfter) {
      end(id, last === undefined ? undefined : asEnded(last));
      endedByCancel.push(id);
      continue;
    }
    const sinceMs = prior?.sinceMs ?? input.startedAt;
    if (
      !input.pendingCancelIds.has(id) &&
      input.startedAt - sinceMs > (input.forgetMissingAfterMs ?? FORGET_MISSING_AFTER_MS)
    ) {
      continue;
    }
    const entry: MissingOrder = {
      id,
      sinceMs,
      misses: (prior?.misses ?? 0) + 1,
      missesAfterCancel,
    };
    if (last !== undefined) {
      entry.order = last;
    }
    if (isUnreadable) {
      entry.unreadable = true;
    }
    if (prior === undefined) {
      vanished.push(id);
    }
    missing.push(entry);
    if (prevFirst[id] !== undefined) {
      firstSeenAt[id] = prevFirst[id];
    }
    if (prevAbsent[id] !== undefined) {
      absentBefore[id] = prevAbsent[id];
    }
  }

  const keep = input.endedKeep ?? ENDED_KEEP;
  return {
    snapshot: {
      version: Math.max((previous?.version ?? 0) + 1, input.startedAt),
      at: input.at,
      startedAt: input.startedAt,
      answeredAt,
      orders: active,
      missing,
      firstSeenAt,
      absentBefore,
      ended: ended.slice(Math.max(0, ended.length - keep)),
      endedIds: endedIds.slice(Math.max(0, endedIds.length - keep)),
      endedByCancel: endedByCancel.slice(Math.max(0, endedByCancel.length - keep)),
    },
    vanishedWithoutFinal: vanished,
    wantCompleted: missing.length > 0,
    revived,
  };
}

/**
 * Has `orderId` ended, as far as `snapshot` can tell? Only on evidence (docs/decisions/0110): it is
 * in `ended` (seen expired, or absent after our accepted cancel) or in `endedIds` (a cancel answer
 * proved it). Absence alone never counts; the order is then missing or not seen yet.
 */
export function endedIn(snapshot: OrdersSnapshot, orderId: number): { ended: boolean; order?: Order } {
  const order = snapshot.ended.find((o) => o.id === orderId);
  if (order !== undefined) {
    return { ended: true, order };
  }
  return { ended: snapshot.endedIds?.includes(orderId) === true };
}

/** The snapshot's entry for a missing order, if it is missing. */
export function missingIn(snapshot: OrdersSnapshot, orderId: number): MissingOrder | undefined {
  return snapshot.missing?.find((m) => m.id === orderId);
}

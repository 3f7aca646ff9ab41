import type { Order } from '@clore-batch/clore';
import type { OrderIntent, OrdersSnapshot } from './fleet-types';

/**
 * The intent that explains an order (docs/decisions/0049, 0111), or undefined for an order this
 * deployment did not make:
 * - an intent bound to the order's id;
 * - else (the lost-create case: create_order's answer never came) an unbound intent for the same
 *   server such that the order was FIRST SEEN (`firstSeenAt`: Redis time of the my_orders answer
 *   that first listed it) no earlier than the intent (Redis time, written before the create) and no
 *   later than `windowMs` after the intent's last create try returned (`settledAt`; an unsettled
 *   intent's create is still in flight: no upper bound yet). The latest such intent wins.
 * Neither the provider's `ct` nor any worker clock is used: clocks never need to agree (Part A 18).
 * An order without `firstSeenAt` (a snapshot of an older leader) matches only unsettled intents.
 */
export function explainOrder(
  order: Pick<Order, 'id' | 'serverId'>,
  intents: readonly OrderIntent[],
  firstSeenAt: number | undefined,
  windowMs: number,
  /** When the last stored answer that did not list the order began (snapshot `absentBefore`). */
  absentBefore?: number,
): OrderIntent | undefined {
  const bound = intents.find((intent) => intent.orderId === order.id);
  if (bound !== undefined) {
    return bound;
  }
  let best: OrderIntent | undefined;
  for (const intent of intents) {
    if (intent.orderId !== undefined || intent.serverId !== order.serverId) {
      continue;
    }
    if (
      firstSeenAt === undefined
        ? intent.settledAt !== undefined
        : !withinWindow(intent, firstSeenAt, windowMs, absentBefore)
    ) {
      continue;
    }
    if (best === undefined || intent.at > best.at) {
      best = intent;
    }
  }
  return best;
}

/** Was an order first seen at `firstSeenAt` made by this intent's create, by time alone? */
export function withinWindow(
  intent: OrderIntent,
  firstSeenAt: number,
  windowMs: number,
  absentBefore?: number,
): boolean {
  if (firstSeenAt < intent.at) {
    return false;
  }
  if (intent.settledAt === undefined) {
    return true;
  }
  const closes = intent.settledAt + windowMs;
  // First seen late, but no answer came between the window's end and that sighting (my_orders
  // failing): the order may have been made inside the window. Only a stored answer that did not
  // list it after the window proves it was made later.
  return firstSeenAt <= closes || (absentBefore !== undefined && absentBefore <= closes);
}

/** When the last stored answer that did not list `orderId` began, if the snapshot knows it. */
export function absentBeforeOf(snapshot: OrdersSnapshot, orderId: number): number | undefined {
  return snapshot.absentBefore?.[orderId];
}

/** The Redis time of the answer that first listed `orderId`, if the snapshot knows it. */
export function firstSeenOf(snapshot: OrdersSnapshot, orderId: number): number | undefined {
  return snapshot.firstSeenAt?.[orderId];
}

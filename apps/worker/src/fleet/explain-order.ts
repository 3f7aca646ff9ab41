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
        : !withinWindow(intent, firstSeenAt, windowMs)
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
export function withinWindow(intent: OrderIntent, firstSeenAt: number, windowMs: number): boolean {
  return (
    firstSeenAt >= intent.at && (intent.settledAt === undefined || firstSeenAt <= intent.settledAt + windowMs)
  );
}

/** The Redis time of the answer that first listed `orderId`, if the snapshot knows it. */
export function firstSeenOf(snapshot: OrdersSnapshot, orderId: number): number | undefined {
  return snapshot.firstSeenAt?.[orderId];
}

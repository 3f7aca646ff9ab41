import type { Order } from '@clore-batch/clore';
import type { OrderIntent } from './fleet-types';

/**
 * The intent that explains an active order (docs/decisions/0049), or undefined for an order this
 * deployment did not make:
 * - an intent bound to the order's id;
 * - else (the lost-create case: create_order's answer never came) an unbound intent for the same
 *   server written before the order was created (`ct` rounded up to the next second, plus `slackMs`
 *   for clock skew between the worker and Clore); the latest such intent wins. An order without a creation time matches any
 *   unbound intent on its server.
 */
export function explainOrder(
  order: Order,
  intents: readonly OrderIntent[],
  slackMs: number,
): OrderIntent | undefined {
  const bound = intents.find((intent) => intent.orderId === order.id);
  if (bound !== undefined) {
    return bound;
  }
  // `ct` is whole seconds: the order may have been created up to a second after it.
  const createdMs = order.createdAt === undefined ? undefined : (order.createdAt + 1) * 1_000;
  let best: OrderIntent | undefined;
  for (const intent of intents) {
    if (intent.orderId !== undefined || intent.serverId !== order.serverId) {
      continue;
    }
    if (createdMs !== undefined && intent.at > createdMs + slackMs) {
      continue;
    }
    if (best === undefined || intent.at > best.at) {
      best = intent;
    }
  }
  return best;
}

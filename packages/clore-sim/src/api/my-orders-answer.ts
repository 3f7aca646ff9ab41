import { MY_ORDERS_NULLABLE_FIELDS } from '../faults';
import { isActive } from '../orders/order';
import { orderView } from '../orders/order-view';
import type { Simulator } from '../simulator';
import type { MyOrdersAnswerFault } from './my-orders-outage';

export interface MyOrdersAnswer {
  orders: Record<string, unknown>[];
  /** The answer fault applied, if any (shown in the call log). */
  fault: MyOrdersAnswerFault | undefined;
}

function isActiveView(view: Record<string, unknown>): boolean {
  return view.expired !== true && view.status !== 'expired';
}

/**
 * The `orders` of a my_orders answer: the key's own orders (with the `nullFields` fault), then the
 * foreign orders added on the key, then the answer faults: a runtime window or the per-answer
 * chances `myOrdersEmpty` (no order at all) and `myOrdersShort` (some active orders left out).
 */
export function myOrdersAnswer(sim: Simulator, key: string, completed: boolean): MyOrdersAnswer {
  const nullChance = sim.faults.nullFields ?? 0;
  const own = sim
    .ordersOf(key)
    .filter((o) => completed || isActive(o))
    .map((o) => {
      const view = orderView(
        o,
        sim.servers.get(o.serverId),
        sim.options.shape,
        sim.options.sshHost,
      ) as Record<string, unknown>;
      if (nullChance > 0 && sim.options.shape === 'real') {
        for (const field of MY_ORDERS_NULLABLE_FIELDS) {
          if (sim.faultRng.chance(nullChance)) {
            view[field] = null;
          }
        }
      }
      return view;
    });
  const foreign =
    sim.options.shape === 'real' ? sim.foreignOrders.viewsFor(key, completed, sim.clock.now()) : [];
  let orders = [...own, ...foreign];
  const fault =
    sim.myOrdersOutages.activeFor(key) ??
    (sim.faultRng.chance(sim.faults.myOrdersEmpty ?? 0)
      ? 'empty'
      : sim.faultRng.chance(sim.faults.myOrdersShort ?? 0)
        ? 'short'
        : undefined);
  if (fault === 'empty') {
    orders = [];
  } else if (fault === 'short') {
    const active = orders.filter(isActiveView);
    if (active.length > 0) {
      const drop = new Set(active.filter(() => sim.faultRng.chance(0.5)));
      if (drop.size === 0) {
        drop.add(sim.faultRng.pick(active));
      }
      orders = orders.filter((view) => !drop.has(view));
    }
  }
  return { orders, fault };
}

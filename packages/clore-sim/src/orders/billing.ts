import type { Balances } from '../currencies';
import type { EndReason, SimOrder } from './order';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export type BillResult = { endedAtSim: undefined } | { endedAtSim: number; reason: EndReason };

/**
 * Charge an active order for the sim time since it was last billed, up to `simNow` (or its `mrl`
 * end): `spend += price_per_day × days`, and the key's balance in the order's currency goes down as
 * much. When the balance cannot cover it, the order is charged what is left and ends at the moment
 * the money ran out (reason `balance`); at `createdAt + mrl` hours it ends with reason `mrl`.
 */
export function billOrder(order: SimOrder, balances: Balances, simNow: number): BillResult {
  const mrlEnd = order.createdAtSim + order.mrlHours * HOUR_MS;
  const until = Math.min(simNow, mrlEnd);
  if (until > order.billedUntilSim) {
    const perMs = order.price / DAY_MS;
    const cost = perMs * (until - order.billedUntilSim);
    const available = Math.max(0, balances[order.currency]);
    if (cost > available) {
      const ranOutAt = order.billedUntilSim + (perMs > 0 ? available / perMs : 0);
      order.spend += available;
      balances[order.currency] = 0;
      order.billedUntilSim = ranOutAt;
      return { endedAtSim: ranOutAt, reason: 'balance' };
    }
    order.spend += cost;
    balances[order.currency] -= cost;
    order.billedUntilSim = until;
  }
  if (simNow >= mrlEnd) {
    return { endedAtSim: mrlEnd, reason: 'mrl' };
  }
  return { endedAtSim: undefined };
}

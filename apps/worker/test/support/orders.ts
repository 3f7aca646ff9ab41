import type { Order } from '@clore-batch/clore';

/**
 * An order as my_orders reports a running one (active, online, container up, deployed, ready; on
 * demand, USD-Blockchain at $1/day, no fee), with `fields` over it: the one order builder of the
 * lifecycle and fleet unit tests.
 */
export function testOrder(fields: Partial<Order> = {}): Order {
  return {
    id: 1,
    serverId: 2,
    currency: 'USD-Blockchain',
    pricePerDay: 1,
    creationFee: 0,
    expired: false,
    active: true,
    online: true,
    containerUp: true,
    deployed: true,
    ready: true,
    spot: false,
    ...fields,
  };
}

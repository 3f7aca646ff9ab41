import type { Currency } from '../currencies';
import type { OrderHost } from '../host/order-host';

export type OrderType = 'on-demand' | 'spot';

/** Why an order ended. */
export type EndReason = 'cancelled' | 'mrl' | 'balance' | 'outbid' | 'reset' | 'shutdown';

/** One order with everything the simulator knows about it. `sshPassword` is never shown anywhere. */
export interface SimOrder {
  id: number;
  key: string;
  keyHash: string;
  serverId: number;
  type: OrderType;
  currency: Currency;
  /** Per-day price in `currency` (the bid, for spot). */
  price: number;
  creationFee: number;
  /** Accrued rental cost in `currency`, excluding the creation fee. */
  spend: number;
  mrlHours: number;
  image: string;
  command: string | undefined;
  env: Record<string, string>;
  sshKey: string | undefined;
  sshPassword: string | undefined;
  jupyterToken: string | undefined;
  ports: Record<string, string>;
  requiredPrice: number | undefined;
  /** create_order's `dockerhub_auth` (a secret: /_sim/ shows only that it is set, and a hash). */
  dockerhubAuth: string | undefined;
  sshPort: number;
  /** Public ports for the other tcp ports asked for (nothing listens on them). */
  extraTcpPorts: Record<string, number>;
  httpPort: string | undefined;
  /** Real ms epoch. */
  createdAt: number;
  /** Sim ms epoch (`ct` is this in seconds). */
  createdAtSim: number;
  /** Sim time up to which spend has been charged. */
  billedUntilSim: number;
  /** Real ms epoch when the order is due to come up. */
  provisionAt: number;
  provisionedAt: number | undefined;
  /** Real ms epoch when mon_container became 1. */
  readyAt: number | undefined;
  endedAt: number | undefined;
  endedAtSim: number | undefined;
  endReason: EndReason | undefined;
  neverUp: boolean;
  monContainer: 0 | 1;
  /** Real ms epoch of the last accepted price lowering (spot). */
  lastLoweredAt: number | undefined;
  host: OrderHost;
}

export function isActive(order: SimOrder): boolean {
  return order.endedAt === undefined;
}

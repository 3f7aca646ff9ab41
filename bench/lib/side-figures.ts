/** The figures one side of the economy comparison reports, from the simulator's own records. */
import type { SimCall } from './sim-log';

export interface SideFigures {
  label: string;
  jobs: number;
  completed: number;
  wallMs: number;
  calls: number;
  byEndpoint: Record<string, number>;
  code5: number;
  /** Server time rented: sum over orders of (end − create), seconds. */
  rentedSeconds: number;
  /** What the provider billed (spend + creation fee), USD. */
  billedUsd: number;
  orders: number;
}

export interface SimOrderMoney {
  createdAt: number;
  endedAt?: number;
  spend: number;
  creationFee: number;
}

export function sideFigures(
  label: string,
  jobs: number,
  completed: number,
  wallMs: number,
  calls: readonly SimCall[],
  orders: readonly SimOrderMoney[],
): SideFigures {
  const byEndpoint: Record<string, number> = {};
  for (const call of calls) {
    byEndpoint[call.endpoint] = (byEndpoint[call.endpoint] ?? 0) + 1;
  }
  return {
    label,
    jobs,
    completed,
    wallMs,
    calls: calls.length,
    byEndpoint,
    code5: calls.filter((c) => c.code === 5).length,
    rentedSeconds: orders.reduce((s, o) => s + ((o.endedAt ?? Date.now()) - o.createdAt) / 1000, 0),
    billedUsd: orders.reduce((s, o) => s + o.spend + o.creationFee, 0),
    orders: orders.length,
  };
}

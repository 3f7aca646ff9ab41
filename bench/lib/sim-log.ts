/** The simulator's own records (`/_sim/calls`, `/_sim/orders`), read over HTTP. */
import { hashApiKey } from '@clore-batch/clore';

export interface SimCall {
  keyHash: string | null;
  endpoint: string;
  at: number;
  code: number | null;
  httpStatus: number;
  fault?: string;
}

export interface SimOrderRecord {
  id: number;
  keyHash: string;
  serverId: number;
  createdAt: number;
  provisionedAt?: number;
  readyAt?: number;
  endedAt?: number;
  active: boolean;
  endReason?: string;
}

/** Every call the key made, oldest first. */
export async function simCalls(simUrl: string, apiKey: string): Promise<SimCall[]> {
  const response = await fetch(`${simUrl}/_sim/calls?keyHash=${hashApiKey(apiKey)}`);
  const body = (await response.json()) as { calls: SimCall[] };
  return body.calls.filter((c) => c.keyHash === hashApiKey(apiKey)).sort((a, b) => a.at - b.at);
}

export async function simOrders(simUrl: string): Promise<SimOrderRecord[]> {
  const response = await fetch(`${simUrl}/_sim/orders`);
  return ((await response.json()) as { orders: SimOrderRecord[] }).orders;
}

/** Calls per endpoint, e.g. `{ marketplace: 3, create_order: 50 }`. */
export function countByEndpoint(calls: readonly SimCall[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of calls) {
    counts[call.endpoint] = (counts[call.endpoint] ?? 0) + 1;
  }
  return counts;
}

import type { CloreClient, MyOrdersReport } from '@clore-batch/clore';

/**
 * One my_orders answer as a report: the readable orders and the unreadable ones (clore-api.md Part
 * A 16; `myOrdersReport`, branch `fidelity`). One bad order (someone else's, a `null` where a value
 * belongs) no longer fails the whole poll: the watcher stores the readable ones and keeps an
 * unreadable order of ours as missing, never ended (docs/decisions/0110).
 */
export function readMyOrders(
  client: CloreClient,
  options: { returnCompleted: boolean },
  call: { signal: AbortSignal },
): Promise<MyOrdersReport> {
  return client.myOrdersReport(options, call);
}

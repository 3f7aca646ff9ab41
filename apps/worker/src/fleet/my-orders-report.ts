import type { CloreClient, Order } from '@clore-batch/clore';

/** An order my_orders listed but the client could not read (INTERFACES.md, branch `fidelity`). */
export interface UnreadableOrderLike {
  index: number;
  id?: number;
  serverId?: number;
  problems: string[];
}

export interface MyOrdersReportLike {
  orders: Order[];
  unreadable: UnreadableOrderLike[];
}

type ReportingClient = CloreClient & {
  myOrdersReport?: (
    options: { returnCompleted?: boolean },
    call?: { signal?: AbortSignal },
  ) => Promise<MyOrdersReportLike>;
};

/**
 * One my_orders answer as a report: the readable orders and the unreadable ones (Part A 16). The
 * one adapter between the watcher and the client: it uses `myOrdersReport` (branch `fidelity`)
 * when the client has it; an older client's `myOrders` throws on any unreadable order instead (the
 * watcher then keeps its last snapshot).
 */
export async function readMyOrders(
  client: CloreClient,
  options: { returnCompleted: boolean },
  call: { signal: AbortSignal },
): Promise<MyOrdersReportLike> {
  const reporting = client as ReportingClient;
  if (typeof reporting.myOrdersReport === 'function') {
    return reporting.myOrdersReport(options, call);
  }
  return { orders: await client.myOrders(options, call), unreadable: [] };
}

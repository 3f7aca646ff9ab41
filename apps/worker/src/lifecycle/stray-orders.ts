import { type Order, orderSpendUsd, toUsd, type UsdRates } from '@clore-batch/clore';
import { errorCodeOf, type JobStore, type Logger } from '@clore-batch/shared';
import type { OrphanRecord } from '../fleet/reaper';

/**
 * The reaper's hook for a reaped orphan that ended (docs/decisions/0123): an order a job's lost
 * create_order made after its attempt moved on is billed all the same (clore-api.md Part A 11), so
 * its final bill (spend + creation fee, in USD) is counted in the job's cost. An order an attempt
 * holds is left out (the attempt counts it); a job that no longer exists has nothing to count into.
 */
export function countStrayOrders(deps: {
  store: JobStore;
  rates: () => Promise<UsdRates>;
  logger: Logger;
}): (record: OrphanRecord, final: Order) => Promise<void> {
  return async (record, final) => {
    let job: Awaited<ReturnType<JobStore['get']>>;
    try {
      job = await deps.store.get(record.jobId);
    } catch (error) {
      if (errorCodeOf(error) === 'JOB_NOT_FOUND') {
        return;
      }
      throw error;
    }
    if (job.attempts.some((a) => a.orderId === final.id)) {
      return;
    }
    const rates = await deps.rates();
    const billed = orderSpendUsd(final, rates);
    const costUsd = billed ?? toUsd(estimatedBill(record, final), final.currency, rates);
    if (costUsd === undefined) {
      throw new Error(
        `no USD rate for ${final.currency}: the bill of order ${final.id} cannot be counted yet`,
      );
    }
    if (billed === undefined) {
      deps.logger.warn(
        { orderId: final.id, jobId: record.jobId },
        `order ${final.id} ended without a spend figure: counted at its price for the time it was seen, plus its creation fee`,
      );
    }
    await deps.store.recordStrayOrder(record.jobId, {
      orderId: final.id,
      serverId: final.serverId,
      attempt: record.attempt,
      costUsd,
    });
  };
}

/**
 * The bill of an order that ended without a spend figure (ended on the evidence of our cancel:
 * its last seen spend is dropped, decision 0110), in its currency: its creation fee plus its price
 * from when it was first listed (or first seen not live) to when its end was learnt. Never the fee
 * alone: the order billed for all that time (clore-api.md Part A 11).
 */
function estimatedBill(record: OrphanRecord, final: Order): number {
  const from = Math.min(record.orderFirstSeen ?? record.firstSeen, record.firstSeen);
  const to = Math.max(record.endedAt ?? record.lastSeen, record.lastSeen);
  const hours = Math.max(0, to - from) / 3_600_000;
  return Math.max(final.creationFee, 0) + Math.max(final.pricePerDay, 0) * (hours / 24);
}

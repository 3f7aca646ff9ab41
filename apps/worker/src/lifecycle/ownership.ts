import { errorCodeOf } from '@clore-batch/shared';
import { WorkerStopping } from './control';
import type { JobRun } from './job-run';

/**
 * This worker no longer holds the job's lease (docs/decisions/0120): it paused past the lease
 * (GC pause, VM freeze, SIGSTOP) or lost Redis for that long, and another worker may own the job
 * now. Like WorkerStopping it leaves the job, its order and its command alone (the new owner holds
 * them); unlike a shutdown, the worker process goes on, so the processor lets the BullMQ job go.
 */
export class OwnershipLost extends WorkerStopping {
  readonly ownershipLost = true;
  constructor(message = 'this worker lost the job lease; the job is left to its new owner') {
    super(message);
  }
}

/**
 * The job's record vanished while this worker ran it (Redis data lost or flushed): nobody can
 * resume it from the store, so the worker cancels the order it holds (docs/decisions/0121).
 */
export class RecordLost extends Error {
  override readonly name = 'RecordLost';
  constructor(message = 'the job record vanished while the job ran') {
    super(message);
  }
}

export function isOwnershipLost(error: unknown): boolean {
  return (
    error instanceof OwnershipLost ||
    (error as { ownershipLost?: unknown } | null)?.ownershipLost === true ||
    errorCodeOf(error) === 'JOB_OWNERSHIP_LOST'
  );
}

export function isRecordLost(error: unknown): boolean {
  return error instanceof RecordLost || errorCodeOf(error) === 'JOB_NOT_FOUND';
}

/**
 * The record vanished: cancel every order this run's last known record holds (attempts not ended),
 * reason `record-lost`, and wait (bounded by releaseConfirmMs) to see them end. The fleet's leader
 * keeps retrying a requested cancel on its own until the order is seen ended, so the wait only
 * serves the log. Orders this run made and had not recorded yet are cancelled too; orders of a
 * create whose answer was lost are the intents' and the reaper's business.
 */
export async function cancelOrdersOfVanishedJob(run: JobRun): Promise<number[]> {
  const held = [
    ...new Set([
      ...run.job.attempts
        .filter((attempt) => attempt.orderId !== undefined && attempt.endedAt === undefined)
        .map((attempt) => attempt.orderId as number),
      // Made by this run but not recorded when the record went: nothing in Redis names them.
      ...run.unrecordedOrders,
    ]),
  ];
  for (const orderId of held) {
    run.log.error(
      { orderId },
      `job ${run.id}: its record vanished from the store; cancelling order ${orderId} it held`,
    );
    await run.deps.fleet.releases.request(orderId, { jobId: run.id, reason: 'record-lost' });
  }
  for (const orderId of held) {
    const timeout = AbortSignal.timeout(run.deps.settings.releaseConfirmMs);
    await run.deps.fleet.releases.waitEnded(orderId, AbortSignal.any([run.stopSignal, timeout])).then(
      () => run.log.info({ orderId }, `order ${orderId} of the vanished job ${run.id} ended`),
      () =>
        run.log.warn(
          { orderId },
          `order ${orderId} of the vanished job ${run.id} not seen ended yet; the fleet keeps cancelling it`,
        ),
    );
  }
  return held;
}

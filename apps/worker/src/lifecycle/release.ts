import type { Order } from '@clore-batch/clore';
import { type Attempt, type AttemptEndReason, METRICS } from '@clore-batch/shared';
import { finalCostUsd } from './budget';
import type { JobRun } from './job-run';

/**
 * Cancel the order and wait until the order watcher sees it ended, asking again after each
 * `releaseConfirmMs` without confirmation, for as long as the worker runs (the leader also retries
 * every requested cancel on its own). Returns the order's last known state.
 */
export async function releaseOrder(run: JobRun, orderId: number, reason: string): Promise<Order | undefined> {
  const { releases } = run.deps.fleet;
  for (let round = 1; ; round += 1) {
    run.stopSignal.throwIfAborted();
    await releases.request(orderId, { jobId: run.id, reason });
    const timeout = AbortSignal.timeout(run.deps.settings.releaseConfirmMs);
    try {
      return await releases.waitEnded(orderId, AbortSignal.any([run.stopSignal, timeout]));
    } catch (error) {
      if (run.stopSignal.aborted) {
        throw run.stopSignal.reason;
      }
      run.log.warn(
        { orderId, round, error: (error as Error).message },
        `order ${orderId} not seen ended after ${run.deps.settings.releaseConfirmMs} ms (round ${round}); asking again`,
      );
    }
  }
}

/** Persist why the attempt ends (once), before anything is released. Returns the attempt as stored. */
export async function decideAttempt(
  run: JobRun,
  attempt: Attempt,
  endReason: AttemptEndReason,
  message: string,
): Promise<Attempt> {
  if (attempt.endReason !== undefined) {
    return attempt;
  }
  run.job = await run.deps.store.attemptDecided(run.id, attempt.n, endReason);
  await run.deps.store
    .addInfo(run.id, `attempt ${attempt.n} ended (${endReason}): ${message}`)
    .catch(() => {});
  return run.job.attempts.find((a) => a.n === attempt.n) as Attempt;
}

/**
 * End an attempt: persist why (first, so a resumed worker finishes the same way), release its
 * order until the watcher confirms it ended, record the final cost, drop the intent and the claim.
 * Idempotent.
 */
export async function endAttempt(
  run: JobRun,
  attempt: Attempt,
  endReason: AttemptEndReason,
  message: string,
): Promise<Attempt> {
  const { deps } = run;
  await decideAttempt(run, attempt, endReason, message);
  let spentUsd = attempt.spentUsd;
  if (attempt.orderId !== undefined) {
    const final = await releaseOrder(run, attempt.orderId, `${endReason}: ${message}`.slice(0, 500));
    if (final !== undefined) {
      const market = await deps.fleet.marketplace.get(run.stopSignal);
      // The provider's final bill (spend + creation fee) once billing has stopped.
      spentUsd = finalCostUsd(final, market.usdRates, {
        usdPerHour: attempt.pricePerHourUsd,
        startedAtMs: Date.parse(attempt.startedAt),
        nowMs: Date.now(),
        previousUsd: spentUsd,
      });
    }
  }
  run.job = await deps.store.attemptEnded(run.id, attempt.n, { spentUsd });
  await deps.telemetry?.add(METRICS.usdSpent, {}, spentUsd);
  await deps.fleet.intents.remove(run.id, attempt.n, attempt.serverId);
  await deps.fleet.claims.release(attempt.serverId, run.id).catch(() => {});
  run.log.info(
    { attempt: attempt.n, orderId: attempt.orderId, endReason, spentUsd },
    `attempt ${attempt.n} ended (${endReason}); order released`,
  );
  return run.job.attempts.find((a) => a.n === attempt.n) as Attempt;
}

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

/**
 * Reasons that stop an attempt to stop its billing: the order's cancel goes out first, and it must
 * end even if nothing can be recorded.
 */
export const MONEY_STOPS: ReadonlySet<AttemptEndReason> = new Set(['budget_exceeded', 'spend_unverified']);
const cancelledNow = new WeakMap<JobRun, Set<number>>();

/**
 * Fail closed (docs/decisions/0124): a money stop whose decision cannot be stored (Redis refuses
 * writes: OOM, READONLY, down) would leave the order billing until Redis recovers, since the
 * decision, the cancel queue and the shared limiter all live there. Its order is cancelled straight
 * away through `deps.cancelNow` (no Redis, no shared limiter), once per run; the normal release
 * follows when Redis answers again (the provider then says order_not_active, which settles it).
 */
async function cancelWhenUnrecordable(
  run: JobRun,
  attempt: Attempt,
  endReason: AttemptEndReason,
  cause: unknown,
): Promise<void> {
  const orderId = attempt.orderId;
  const cancelNow = run.deps.cancelNow;
  if (orderId === undefined || cancelNow === undefined || !MONEY_STOPS.has(endReason)) {
    return;
  }
  const done = cancelledNow.get(run) ?? new Set<number>();
  cancelledNow.set(run, done);
  if (done.has(orderId)) {
    return;
  }
  done.add(orderId);
  run.log.warn(
    { orderId, endReason, error: (cause as Error).message },
    `attempt ${attempt.n} stops for ${endReason} but the decision cannot be stored; cancelling order ${orderId} directly`,
  );
  try {
    await cancelNow(orderId);
    run.log.warn(
      { orderId },
      `order ${orderId} cancelled directly (the release is recorded once Redis accepts writes)`,
    );
  } catch (error) {
    done.delete(orderId);
    run.log.error(
      { orderId, error: (error as Error).message },
      `the direct cancel of order ${orderId} failed`,
    );
  }
}

/**
 * Record why the attempt ends (phase decided, once), before anything is released: a resumed worker
 * ends it the same way. Returns the attempt as stored.
 */
export async function recordEndReason(
  run: JobRun,
  attempt: Attempt,
  endReason: AttemptEndReason,
  message: string,
): Promise<Attempt> {
  if (attempt.endReason !== undefined) {
    return attempt;
  }
  try {
    run.job = await run.deps.store.attemptDecided(run.id, attempt.n, endReason);
  } catch (error) {
    await cancelWhenUnrecordable(run, attempt, endReason, error);
    throw error;
  }
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
  await recordEndReason(run, attempt, endReason, message);
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

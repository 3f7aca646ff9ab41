import type { UsdRates } from '@clore-batch/clore';
import type { Attempt, JobRecord } from '@clore-batch/shared';
import { abortableSleep, gpuModelMatches } from '@clore-batch/shared';
import type { OrdersSnapshot } from '../fleet/fleet-types';
import { bookedUsdPerHour, checkBudget, verifiedCostUsd } from './budget';
import { AttemptOver } from './control';
import type { JobRun } from './job-run';
import { OrderTracker } from './order-views';
import { bookedAboveCap } from './price-guard';
import { SpendLedger } from './spend-ledger';

/** Restarts of a failed watch loop: first pause, doubled up to the max. */
const RESTART_MS = { initial: 100, max: 5_000 };

export interface AttemptWatch {
  stop(): Promise<void>;
}

/**
 * While an attempt holds an order: on every order book update, record what the order cost (USD,
 * `max(spend, price × elapsed) + creation fee`), stop the attempt before the next update could pass
 * the budget (`budget_exceeded`), and end it when the order ends under it (`preempted` for spot,
 * else `provider_error`). The first time the order is seen active, a booked price above the cap
 * cancels it (`provider_error`) and every job skips the server for a while.
 *
 * Fail closed (docs/decisions/0115): the loop that reads the order book is supervised (an exception
 * restarts it with a bounded backoff) and the decisions are taken on a timer from what is known, not
 * only when an answer comes: between verified answers the cost is projected at the highest known
 * rate, and once the spend has gone unverified for `spendUnverifiedMaxMs` (my_orders failing, the
 * order missing or unreadable, the loop failing) the attempt ends with `spend_unverified`.
 */
/** What the job spent outside attempt `n`: its other attempts and its stray orders. */
function spentOutside(job: Pick<JobRecord, 'attempts' | 'strayOrders'>, n: number): number {
  return (
    job.attempts.filter((a) => a.n !== n).reduce((sum, a) => sum + a.spentUsd, 0) +
    (job.strayOrders ?? []).reduce((sum, s) => sum + s.costUsd, 0)
  );
}

export function watchAttempt(run: JobRun, attempt: Attempt): AttemptWatch {
  const { deps } = run;
  const { settings } = deps;
  const orderId = attempt.orderId as number;
  const { spec } = run.job;
  const stop = new AbortController();
  const signal = AbortSignal.any([stop.signal, run.signal]);
  // Earlier attempts and stray orders (reaped after a lost create: decision 0123) count too. The
  // reaper may count a stray order while this attempt runs: re-read with every order book answer,
  // never lowered (a failed read keeps the last figure).
  let spentBefore = spentOutside(run.job, attempt.n);
  const refreshSpentBefore = async () => {
    try {
      spentBefore = Math.max(spentBefore, spentOutside(await deps.store.get(run.id), attempt.n));
    } catch (error) {
      run.log.warn({ err: error }, 'could not re-read the job for its other spend; keeping the last figure');
    }
  };
  const startedAtMs = Date.parse(attempt.startedAt);
  const tracker = new OrderTracker(orderId, startedAtMs + settings.orderLookupMs);
  const ledger = new SpendLedger({
    spentUsd: attempt.spentUsd,
    sinceMs: Date.now(),
    usdPerHour: attempt.pricePerHourUsd,
  });
  let persisted = attempt.spentUsd;
  let priceChecked = false;
  let gpuChecked = false;
  let nextCheckSeconds = settings.orderPollIntervalMs / 1000;
  // Exchange rates move slowly; the marketplace snapshot is large: read it once a minute, not per update.
  let rates: UsdRates | undefined;
  let ratesAt = 0;

  /** Unverified for longer than the leader's announced cadence allows (a late or failed answer). */
  const overdue = (unverifiedMs: number) =>
    unverifiedMs > nextCheckSeconds * 1500 + settings.orderPollIntervalMs;

  const over = (error: AttemptOver) => {
    if (!signal.aborted) {
      run.log.warn({ attempt: attempt.n, orderId, reason: error.reason }, error.message);
      run.abortAttempt(error);
    }
  };

  /** Decide from what is known now: pure, no I/O, so a failing store or API cannot skip it. */
  const judge = () => {
    if (signal.aborted) {
      return;
    }
    const now = Date.now();
    const unverifiedMs = ledger.unverifiedMs(now);
    if (unverifiedMs > settings.spendUnverifiedMaxMs) {
      over(
        new AttemptOver(
          'spend_unverified',
          `the spend of order ${orderId} could not be verified for ${Math.round(unverifiedMs / 1000)} s (my_orders failing, the order missing from its answers, or the watch failing; the limit is SPEND_UNVERIFIED_MAX_SECONDS=${Math.round(settings.spendUnverifiedMaxMs / 1000)}); the order is cancelled. Last verified: $${ledger.verifiedUsd.toFixed(4)}, projected: $${ledger.projectedUsd(now).toFixed(4)}`,
        ),
      );
      return;
    }
    const verdict = checkBudget({
      budgetUsd: spec.budgetUsd,
      spentBeforeUsd: spentBefore,
      spentNowUsd: ledger.projectedUsd(now),
      usdPerHour: ledger.usdPerHour,
      secondsToNextCheck: nextCheckSeconds,
    });
    if (verdict.stop) {
      over(
        new AttemptOver(
          'budget_exceeded',
          `spent $${verdict.spentUsd.toFixed(4)} of the $${spec.budgetUsd} budget${overdue(unverifiedMs) ? ` (projected: unverified for ${Math.round(unverifiedMs / 1000)} s)` : ''}; by the next check it could be $${verdict.projectedUsd.toFixed(4)}`,
        ),
      );
    }
  };

  const usdRates = async (): Promise<UsdRates> => {
    if (rates === undefined || Date.now() - ratesAt > settings.ratesMaxAgeMs) {
      rates = (await deps.fleet.marketplace.get(signal)).usdRates;
      ratesAt = Date.now();
    }
    return rates;
  };

  /** One order book answer: returns true when the watch is over. */
  const ingest = async (snapshot: OrdersSnapshot): Promise<boolean> => {
    const state = tracker.state(snapshot);
    if (state.kind === 'ended') {
      over(
        new AttemptOver(
          spec.orderType === 'spot' ? 'preempted' : 'provider_error',
          spec.orderType === 'spot'
            ? `spot order ${orderId} ended while the attempt used it (outbid)`
            : `order ${orderId} ended while the attempt used it`,
        ),
      );
      return true;
    }
    // 'unknown' (not yet listed, or gone from one answer) and 'missing' are not verified figures.
    if (state.kind !== 'active') {
      return false;
    }
    const order = state.order;
    if (!gpuChecked && order.gpuArray !== undefined && order.gpuArray.length > 0) {
      // The GPUs the order was booked with, against the spec: a host whose hardware changed after
      // the listing bills for GPUs the user did not ask for (whole model names, decision 0116).
      gpuChecked = true;
      const wanted = order.gpuArray.filter((gpu) => spec.gpu.model.some((m) => gpuModelMatches(m, gpu)));
      if (wanted.length < spec.gpu.count) {
        await skipServer(run, attempt.serverId);
        over(
          new AttemptOver(
            'provider_error',
            `order ${orderId} on server ${attempt.serverId} was booked with ${order.gpuArray.join(', ')}, not ${spec.gpu.count} x ${spec.gpu.model.join(' | ')}; it is cancelled at once and the server skipped`,
          ),
        );
        return true;
      }
    }
    const known = await usdRates();
    if (!priceChecked) {
      const booked = bookedAboveCap(order, known, spec.maxPricePerHourUsd);
      if (booked !== undefined) {
        await skipServer(run, attempt.serverId);
        over(
          new AttemptOver(
            'provider_error',
            `order ${orderId} on server ${attempt.serverId} was booked at $${booked.toFixed(4)}/h, above the job's maxPricePerHourUsd $${spec.maxPricePerHourUsd}; it is cancelled at once and the server skipped`,
          ),
        );
        return true;
      }
      // Checked only once the booked price could be converted (a missing rate checks it later).
      priceChecked = bookedUsdPerHour(order, known) !== undefined;
    }
    const cost = verifiedCostUsd(order, known, {
      usdPerHour: attempt.pricePerHourUsd,
      startedAtMs,
      nowMs: Date.now(),
    });
    if (cost === undefined) {
      return false; // no rate for the order's currency: unverified
    }
    const booked = (order.pricePerDay / 24) * (known[order.currency] ?? 0);
    ledger.notePrice(booked);
    ledger.verify(cost, snapshot.at, Date.now());
    await refreshSpentBefore();
    // The leader announces how long it may take until its next poll (fast or idle cadence).
    nextCheckSeconds = (snapshot.nextPollInMs ?? settings.orderPollIntervalMs) / 1000;
    judge();
    if (!signal.aborted && Math.abs(ledger.verifiedUsd - persisted) >= 1e-6) {
      // Not assigned to run.job: the driver owns the record it holds (a late answer must not replace it).
      await deps.store.attemptSpent(run.id, attempt.n, ledger.verifiedUsd);
      persisted = ledger.verifiedUsd;
    }
    return signal.aborted;
  };

  // Kept across restarts of the loop: a restarted loop waits for a newer answer. Re-reading the
  // current one would verify its old figures again as of now (Redis refusing the attemptSpent
  // write restarts the loop every few seconds, and no new answer can be stored meanwhile), so the
  // spend would never go unverified.
  let version: number | undefined;
  const loop = async () => {
    for (;;) {
      // Background demand lets the leader poll at its idle cadence (docs/decisions/0055); once an
      // answer is overdue (the spend unverified for longer than that cadence), urgent demand asks
      // for the fast one.
      const urgency = overdue(ledger.unverifiedMs(Date.now())) ? 'urgent' : 'background';
      const tick = AbortSignal.timeout(settings.orderPollIntervalMs);
      let snapshot: OrdersSnapshot | undefined;
      try {
        snapshot =
          version === undefined
            ? ((await deps.fleet.orderBook.current()) ??
              (await deps.fleet.orderBook.next(0, { signal: AbortSignal.any([signal, tick]), urgency })))
            : await deps.fleet.orderBook.next(version, { signal: AbortSignal.any([signal, tick]), urgency });
      } catch (error) {
        if (signal.aborted) {
          return;
        }
        if (!tick.aborted) {
          throw error;
        }
      }
      if (signal.aborted) {
        return;
      }
      if (snapshot !== undefined) {
        version = snapshot.version;
        if (await ingest(snapshot)) {
          return;
        }
      }
      judge();
    }
  };

  const supervise = async () => {
    let pause = RESTART_MS.initial;
    for (let restarts = 0; ; restarts += 1) {
      try {
        await loop();
        return;
      } catch (error) {
        if (signal.aborted) {
          return;
        }
        run.log.warn(
          { error: (error as Error).message, restarts, orderId },
          `the order watch of attempt ${attempt.n} failed; restarting it in ${pause} ms (the budget and spend checks go on meanwhile)`,
        );
      }
      judge();
      try {
        await abortableSleep(pause, signal);
      } catch {
        return;
      }
      pause = Math.min(pause * 2, RESTART_MS.max);
    }
  };

  const timer = setInterval(judge, Math.max(10, Math.min(settings.orderPollIntervalMs, 1_000)));
  timer.unref();
  const done = supervise().finally(() => clearInterval(timer));
  return {
    async stop() {
      stop.abort(new Error('attempt watch stopped'));
      clearInterval(timer);
      await done;
    },
  };
}

/** Every job leaves the server alone for a while (the claim that provision.ts uses for refusals). */
async function skipServer(run: JobRun, serverId: number): Promise<void> {
  const { claims } = run.deps.fleet;
  await claims.release(serverId, run.id).catch(() => {});
  await claims.claim(serverId, `refused:${run.id}`, run.deps.settings.refusedServerMs).catch(() => {});
}

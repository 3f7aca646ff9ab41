import type { UsdRates } from '@clore-batch/clore';
import type { Attempt } from '@clore-batch/shared';
import { checkBudget, orderCostUsd } from './budget';
import { AttemptOver } from './control';
import type { JobRun } from './job-run';
import { OrderTracker } from './order-views';

const RATES_MAX_AGE_MS = 60_000;

export interface AttemptWatch {
  stop(): Promise<void>;
}

/**
 * While an attempt holds an order: on every order book update, record what the provider billed
 * (USD), stop the attempt before the next update could pass the budget (`budget_exceeded`), and end
 * it when the order ends under it (`preempted` for spot, else `provider_error`). It waits with
 * background urgency: alone, it lets the leader poll at the idle cadence, and each check projects
 * the spend up to the next poll the snapshot announces.
 */
export function watchAttempt(run: JobRun, attempt: Attempt): AttemptWatch {
  const { deps } = run;
  const orderId = attempt.orderId as number;
  const { spec } = run.job;
  const stop = new AbortController();
  const signal = AbortSignal.any([stop.signal, run.signal]);
  const spentBefore = run.job.attempts
    .filter((a) => a.n !== attempt.n)
    .reduce((sum, a) => sum + a.spentUsd, 0);
  const startedAtMs = Date.parse(attempt.startedAt);
  const tracker = new OrderTracker(orderId, startedAtMs + deps.settings.orderLookupMs);
  let spent = attempt.spentUsd;
  // The billing rate seen between two updates: the catalogue price may understate it (fees,
  // a provider clock that runs fast, a simulator's accelerated clock).
  let sample: { at: number; usd: number } | undefined;
  let observedUsdPerHour = 0;
  // Exchange rates move slowly; the marketplace snapshot is large: read it once a minute, not per update.
  let rates: UsdRates | undefined;
  let ratesAt = 0;

  const loop = async () => {
    let version: number | undefined;
    for (;;) {
      // Background demand: the leader may poll at its idle cadence for us (docs/decisions/0055).
      const wait = { signal, urgency: 'background' } as const;
      const snapshot =
        version === undefined
          ? ((await deps.fleet.orderBook.current()) ?? (await deps.fleet.orderBook.next(0, wait)))
          : await deps.fleet.orderBook.next(version, wait);
      version = snapshot.version;
      if (signal.aborted) {
        return;
      }
      const state = tracker.state(snapshot);
      if (state.kind === 'ended') {
        run.abortAttempt(
          new AttemptOver(
            spec.orderType === 'spot' ? 'preempted' : 'provider_error',
            spec.orderType === 'spot'
              ? `spot order ${orderId} ended while the attempt used it (outbid)`
              : `order ${orderId} ended while the attempt used it`,
          ),
        );
        return;
      }
      if (state.kind !== 'active') {
        continue;
      }
      if (rates === undefined || Date.now() - ratesAt > RATES_MAX_AGE_MS) {
        rates = (await deps.fleet.marketplace.get(signal)).usdRates;
        ratesAt = Date.now();
      }
      const now = orderCostUsd(state.order, rates, {
        usdPerHour: attempt.pricePerHourUsd,
        startedAtMs,
        nowMs: Date.now(),
        previousUsd: spent,
      });
      const at = snapshot.at;
      if (sample !== undefined && at - sample.at >= 100 && now > sample.usd) {
        observedUsdPerHour = ((now - sample.usd) / (at - sample.at)) * 3_600_000;
      }
      if (sample === undefined || now !== sample.usd) {
        sample = { at, usd: now };
      }
      if (Math.abs(now - spent) >= 1e-6) {
        spent = now;
        await deps.store.patchAttempt(run.id, attempt.n, { spentUsd: now });
      }
      const verdict = checkBudget({
        budgetUsd: spec.budgetUsd,
        spentBeforeUsd: spentBefore,
        spentNowUsd: now,
        usdPerHour: Math.max(attempt.pricePerHourUsd, observedUsdPerHour),
        // The leader announces how long it may take until its next poll (fast or idle cadence).
        secondsToNextCheck: (snapshot.nextPollInMs ?? deps.settings.orderPollIntervalMs) / 1000,
      });
      if (verdict.stop) {
        run.abortAttempt(
          new AttemptOver(
            'budget_exceeded',
            `spent $${verdict.spentUsd.toFixed(4)} of the $${spec.budgetUsd} budget; by the next check it could be $${verdict.projectedUsd.toFixed(4)}`,
          ),
        );
        return;
      }
    }
  };
  const done = loop().catch((error) => {
    if (!signal.aborted) {
      run.log.warn({ error: (error as Error).message }, 'the order watch of the attempt failed');
    }
  });
  return {
    async stop() {
      stop.abort(new Error('attempt watch stopped'));
      await done;
    },
  };
}

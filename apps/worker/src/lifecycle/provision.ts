import type { Server } from '@clore-batch/clore';
import {
  type Attempt,
  abortableSleep,
  type Candidate,
  type FirstCost,
  type Selection,
  selectServers,
  serverUsdPerHour,
  touchUpload,
} from '@clore-batch/shared';
import type { OrderIntent } from '../fleet/fleet-types';
import { AttemptOver, NextServer } from './control';
import type { JobRun } from './job-run';
import { jobKeyPair, openRegistryAuth } from './job-secrets';
import { lookUpOrder } from './look-up-order';
import { placeOrder } from './place-order';
import { priceUnitProblem } from './price-guard';

/** How long an attempt may provision: the spec's provisionTimeoutSeconds, else PROVISION_TIMEOUT_SECONDS (ms). */
export function provisionTimeoutMs(run: Pick<JobRun, 'job' | 'deps'>): number {
  const seconds = run.job.spec.provisionTimeoutSeconds;
  return seconds === undefined ? run.deps.settings.provisionTimeoutMs : seconds * 1000;
}

/**
 * How long a placed order may take to run and answer SSH: the job's provisionTimeoutSeconds, but
 * never less than the deployment's PROVISION_TIMEOUT_SECONDS. The order's creation fee is paid once
 * it is placed; giving up on it sooner (and retrying elsewhere) would pay fee after fee for servers
 * never given the time to start (docs/decisions/0132).
 */
export function readinessTimeoutMs(run: Pick<JobRun, 'job' | 'deps'>): number {
  return Math.max(provisionTimeoutMs(run), run.deps.settings.provisionTimeoutMs);
}

export function remoteDirOf(run: JobRun, attempt: number): string {
  return `${run.deps.settings.remoteRoot}/${run.id}-${attempt}`;
}

/** Record the attempt as soon as its order is known (the resume point for any worker). */
async function bindAttempt(
  run: JobRun,
  n: number,
  server: Server | undefined,
  serverId: number,
  usdPerHour: number,
  orderId: number,
  startedAt: number,
): Promise<Attempt> {
  const { deps } = run;
  run.unrecordedOrders.add(orderId);
  await deps.fleet.intents.bindOrder(run.id, n, serverId, orderId);
  const matching = server?.gpus ?? [];
  run.job = await deps.store.addAttempt(run.id, {
    serverId,
    orderId,
    gpu: matching[0] ?? server?.gpuModel ?? 'unknown',
    ...(matching.length > 0 ? { gpuCount: matching.length } : {}),
    pricePerHourUsd: usdPerHour,
    currency: run.job.spec.currency,
    startedAt: new Date(startedAt).toISOString(),
    spentUsd: 0,
    remoteDir: remoteDirOf(run, n),
  });
  run.unrecordedOrders.delete(orderId);
  const attempt = run.job.attempts.at(-1);
  if (attempt === undefined || attempt.n !== n) {
    throw new AttemptOver('internal', `attempt ${n} of job ${run.id} was recorded as ${attempt?.n}`);
  }
  run.log.info(
    { attempt: n, serverId, orderId, usdPerHour },
    `attempt ${n} of ${run.job.spec.maxAttempts}: order ${orderId} on server ${serverId} at $${usdPerHour.toFixed(4)}/h`,
  );
  return attempt;
}

/** The provider's creation fee for the spec's currency and order type, in USD; undefined when unknown. */
async function creationFeeUsd(
  run: JobRun,
  rates: Readonly<Record<string, number>>,
): Promise<number | undefined> {
  const { spec } = run.job;
  const fee = await run.deps.fees?.creationFee(spec.currency, spec.orderType).catch(() => undefined);
  const rate = rates[spec.currency];
  return fee === undefined || rate === undefined ? undefined : fee * rate;
}

/** The estimate a budget refusal used, in words. */
function estimateText(first: FirstCost | undefined, firstCheckSeconds: number): string {
  if (first === undefined) {
    return 'its creation fee and first minutes';
  }
  const fee = first.feeKnown
    ? `creation fee $${first.feeUsd.toFixed(4)} (the provider's)`
    : `creation fee about $${first.feeUsd.toFixed(4)} (estimated at 1 % of a day's price: the provider's fee is not known)`;
  return `at least $${first.totalUsd.toFixed(4)}: ${fee} + $${first.firstCheckUsd.toFixed(4)} of billing until the first budget check (${firstCheckSeconds} s)`;
}

function describe(selection: Selection): string {
  const parts = Object.entries(selection.rejected).map(([why, count]) => `${count} ${why}`);
  return parts.length === 0 ? 'the marketplace is empty' : `left out: ${parts.join(', ')}`;
}

/**
 * Settle the intents a worker that stopped mid-create left for attempt `n` (one per server it
 * tried): adopt the order bound to one of them, else the first order found on any of their servers
 * within the look-up window. The other intents stay (docs/decisions/0054).
 */
async function adoptLeftOrder(
  run: JobRun,
  n: number,
  left: readonly OrderIntent[],
): Promise<Attempt | undefined> {
  const { deps } = run;
  const { spec } = run.job;
  const bound = left.filter((i) => i.orderId !== undefined).sort((a, b) => b.at - a.at)[0];
  const found =
    bound?.orderId !== undefined
      ? { orderId: bound.orderId, serverId: bound.serverId }
      : await lookUpOrder(run, {
          attempt: n,
          tries: left.map((i) => ({ serverId: i.serverId, intentAt: i.at })),
          untilMs: Date.now() + deps.settings.orderLookupMs,
        });
  if (found === undefined) {
    return undefined;
  }
  const intent = left.find((i) => i.serverId === found.serverId) as OrderIntent;
  run.log.info(
    { attempt: n, orderId: found.orderId, serverId: found.serverId },
    `resuming attempt ${n}: adopting order ${found.orderId} made before a restart`,
  );
  // Not the cancel signal: the order exists and must be recorded to be released.
  const market = await deps.fleet.marketplace.get(run.stopSignal);
  const server = market.servers.find((s) => s.id === found.serverId);
  const price =
    server === undefined
      ? undefined
      : serverUsdPerHour(server, {
          currency: spec.currency,
          orderType: spec.orderType,
          rates: market.usdRates,
        });
  // Unknown price: assume the most the spec allows (the budget check stays on the safe side).
  return bindAttempt(
    run,
    n,
    server,
    found.serverId,
    price ?? spec.maxPricePerHourUsd,
    found.orderId,
    intent.at,
  );
}

/**
 * Start attempt `attempts.length + 1`: pick the cheapest matching server nobody else is trying,
 * order it, and record the attempt. Refused servers are skipped for the next one; with no match
 * left, the marketplace is searched again until the provisioning deadline (`no_matching_server`).
 * Intents left by a worker that died mid-create are settled first (an order of theirs is adopted).
 */
export async function provisionAttempt(run: JobRun): Promise<Attempt> {
  const { deps } = run;
  const { spec } = run.job;
  const n = run.job.attempts.length + 1;
  const timeoutMs = provisionTimeoutMs(run);
  const deadline = Date.now() + timeoutMs;
  // A server whose spot order of this job was outbid is not bid on again at the same minimum
  // (read from the persisted attempts, so a resumed worker skips it too).
  const tried = new Set<number>(
    run.job.attempts.filter((a) => a.endReason === 'preempted').map((a) => a.serverId),
  );

  const left = (await deps.fleet.intents.list()).filter((i) => i.jobId === run.id && i.attempt === n);
  if (left.length > 0) {
    const adopted = await adoptLeftOrder(run, n, left);
    if (adopted !== undefined) {
      return adopted;
    }
    // No order found for them: their intents stay (an order may still appear; the reaper cancels it),
    // settled now: their creates are over, so their matching window closes (docs/decisions/0111).
    for (const intent of left) {
      tried.add(intent.serverId);
      if (intent.orderId === undefined && intent.settledAt === undefined) {
        await deps.fleet.intents.settle(run.id, n, intent.serverId).catch(() => {});
      }
    }
  }

  // A workdir upload that expired while the job waited can never be pushed: known before renting,
  // it costs nothing; found after, it cost an order's creation fee and its provisioning (0137).
  if (
    spec.workdir !== undefined &&
    !(await touchUpload(deps.settings.dataDir, run.job.owner, spec.workdir.upload))
  ) {
    throw new AttemptOver(
      'internal',
      'the workdir upload is gone (expired or deleted): upload it again; no server is rented',
    );
  }
  // The job's cost so far: earlier attempts and stray orders (docs/decisions/0123).
  const spent = run.job.costUsd;
  if (spent >= spec.budgetUsd) {
    throw new AttemptOver(
      'budget_exceeded',
      `earlier attempts and orders spent $${spent.toFixed(4)} of the $${spec.budgetUsd} budget; no new server is rented`,
    );
  }
  const keys = await jobKeyPair(deps, run.id);
  const registryAuth = await openRegistryAuth(deps, run.id, spec.hasRegistryAuth);
  const firstCheckSeconds = deps.settings.orderPollIntervalMs / 1000;
  for (;;) {
    run.throwIfStopped();
    const market = await deps.fleet.marketplace.get(run.signal);
    const unitProblem = priceUnitProblem(market.usdRates);
    if (unitProblem !== undefined) {
      throw new AttemptOver('internal', `${unitProblem}; no server is rented`);
    }
    const selection = selectServers(market.servers, spec, {
      usdRates: market.usdRates,
      exclude: tried,
      remainingBudgetUsd: spec.budgetUsd - spent,
      firstCheckSeconds,
      listingAgeMs: Date.now() - market.at,
      maxListingAgeMs: deps.settings.marketplaceMaxAgeMs,
      ...(await creationFeeUsd(run, market.usdRates).then((fee) =>
        fee === undefined ? {} : { creationFeeUsd: fee },
      )),
    });
    const { rejected } = selection;
    if (
      selection.candidates.length === 0 &&
      (rejected.budget ?? 0) > 0 &&
      !rejected.rented &&
      !rejected.excluded
    ) {
      // Every match is too dear for what is left, rented or not: waiting will not change that.
      throw new AttemptOver(
        'budget_exceeded',
        `every server that matches costs more to start than the $${(spec.budgetUsd - spent).toFixed(4)} left of the $${spec.budgetUsd} budget (the cheapest: ${estimateText(selection.cheapestRefused, firstCheckSeconds)}); no server is rented (${describe(selection)})`,
      );
    }
    let chosen: Candidate | undefined;
    for (const candidate of selection.candidates) {
      if (await deps.fleet.claims.claim(candidate.server.id, run.id, deps.settings.claimTtlMs)) {
        chosen = candidate;
        break;
      }
    }
    if (chosen === undefined) {
      const remaining = deadline - Date.now();
      if (remaining <= 0 && rejected.stale_listing !== undefined) {
        throw new AttemptOver(
          'provider_error',
          `the marketplace listing was older than MARKETPLACE_MAX_AGE_SECONDS (${Math.round(deps.settings.marketplaceMaxAgeMs / 1000)} s) for ${Math.round(timeoutMs / 1000)} s: no server is rented on stale prices`,
        );
      }
      if (remaining <= 0) {
        throw new AttemptOver(
          (selection.rejected.budget ?? 0) > 0 ? 'budget_exceeded' : 'no_matching_server',
          `no free server matched the spec within ${Math.round(timeoutMs / 1000)} s (${describe(selection)}; ${tried.size} refused)`,
        );
      }
      await deps.fleet.marketplace.requestRefresh();
      await abortableSleep(Math.min(remaining, deps.settings.orderPollIntervalMs), run.signal);
      continue;
    }
    const startedAt = Date.now();
    try {
      const orderId = await placeOrder(run, {
        attempt: n,
        candidate: chosen,
        publicKey: keys.publicKey,
        ...(registryAuth === undefined ? {} : { registryAuth }),
      });
      return await bindAttempt(
        run,
        n,
        chosen.server,
        chosen.server.id,
        chosen.usdPerHour,
        orderId,
        startedAt,
      );
    } catch (error) {
      if (!(error instanceof NextServer)) {
        await deps.fleet.claims.release(chosen.server.id, run.id).catch(() => {});
        throw error;
      }
      tried.add(chosen.server.id);
      await deps.fleet.claims.release(chosen.server.id, run.id);
      // Every job skips it for a while (a claim no job holds), not only this attempt.
      await deps.fleet.claims.claim(chosen.server.id, `refused:${run.id}`, deps.settings.refusedServerMs);
      await deps.fleet.marketplace.requestRefresh();
      run.log.info({ serverId: chosen.server.id }, `${error.message}; trying the next server`);
      await deps.store.addInfo(run.id, `${error.message}; trying the next server`).catch(() => {});
    }
  }
}

import type { MarketplaceSnapshot } from '../fleet/fleet-records';
import type { StoredJobSpec } from '../spec/job-spec';
import { firstCost } from './first-cost';
import { shortGpuName } from './gpu-names';
import { onceFree } from './market-fit';
import { type Candidate, type Selection, selectServers } from './select-servers';

/**
 * The plan of a dry run (`POST /v1/jobs?dryRun=true`, `clore-batch submit --dry-run`): the servers
 * the worker's selection would try first on this snapshot, with the options the worker uses
 * (apps/worker/src/lifecycle/provision.ts), and what the job would cost for `timeoutSeconds`.
 */
export interface PlanOptions {
  /** Seconds of billing before the first budget check (the worker: ORDER_POLL_INTERVAL_MS / 1000). */
  firstCheckSeconds: number;
  /** The provider's creation fee for the spec's currency and order type, USD; undefined: estimated. */
  creationFeeUsd?: number;
  listingAgeMs: number;
  /** MARKETPLACE_MAX_AGE_SECONDS in ms: the worker rents nothing on an older listing. */
  maxListingAgeMs: number;
  /** How many servers to list (default 5). */
  count?: number;
}

export interface PlannedServer {
  serverId: number;
  gpu: string;
  gpuCount: number;
  vramGb?: number;
  reliability: number;
  usdPerHour: number;
  creationFeeUsd: number;
  /** false: the fee is the estimate (1 % of a day's price), the provider's is not known. */
  creationFeeKnown: boolean;
  country?: string;
}

export interface CostEstimate {
  /** The server the estimate is for: the first the worker would try, else the cheapest that fits. */
  serverId: number;
  /** Whether that server is free now (false: it is rented or offline; the job would wait). */
  free: boolean;
  usdPerHour: number;
  creationFeeUsd: number;
  creationFeeKnown: boolean;
  /** timeoutSeconds: the longest the command may run. */
  runSeconds: number;
  runUsd: number;
  /** creation fee + run. */
  totalUsd: number;
  budgetUsd: number;
  budgetCovers: boolean;
  /** When it does not: about how long the budget lets the command run. */
  budgetLastsSeconds?: number;
}

export interface MarketPlan {
  servers: PlannedServer[];
  /** How many servers each constraint left out (the worker's selection, as now). */
  rejected: Selection['rejected'];
  estimate?: CostEstimate;
  notes: string[];
}

function planned(candidate: Candidate, fee: ReturnType<typeof firstCost>): PlannedServer {
  const { server } = candidate;
  return {
    serverId: server.id,
    gpu: shortGpuName(server.gpus[0] ?? server.gpuModel),
    gpuCount: server.gpus.length,
    ...(server.vramGb === undefined ? {} : { vramGb: server.vramGb }),
    reliability: server.reliability,
    usdPerHour: candidate.usdPerHour,
    creationFeeUsd: fee.feeUsd,
    creationFeeKnown: fee.feeKnown,
    ...(server.specs.country === undefined ? {} : { country: server.specs.country }),
  };
}

function estimateOn(candidate: Candidate, free: boolean, spec: StoredJobSpec, feeUsd?: number): CostEstimate {
  const fee = firstCost(candidate.usdPerHour, 0, feeUsd);
  const runUsd = (candidate.usdPerHour * spec.timeoutSeconds) / 3_600;
  const totalUsd = fee.feeUsd + runUsd;
  const budgetCovers = totalUsd <= spec.budgetUsd;
  const lasts = ((spec.budgetUsd - fee.feeUsd) / candidate.usdPerHour) * 3_600;
  return {
    serverId: candidate.server.id,
    free,
    usdPerHour: candidate.usdPerHour,
    creationFeeUsd: fee.feeUsd,
    creationFeeKnown: fee.feeKnown,
    runSeconds: spec.timeoutSeconds,
    runUsd,
    totalUsd,
    budgetUsd: spec.budgetUsd,
    budgetCovers,
    ...(budgetCovers ? {} : { budgetLastsSeconds: Math.max(0, Math.round(lasts)) }),
  };
}

function waitNote(selection: Selection): string {
  const { rejected } = selection;
  if (rejected.stale_listing !== undefined) {
    return 'the marketplace listing is older than MARKETPLACE_MAX_AGE_SECONDS: the worker rents nothing on it and waits for a fresh one';
  }
  if ((rejected.budget ?? 0) > 0 && !rejected.rented) {
    return 'every server that fits costs more to start (creation fee and billing until the first budget check) than budgetUsd: the job would fail budget_exceeded';
  }
  return 'no server that fits is free right now: the job would wait for one, up to provisionTimeoutSeconds';
}

/** The plan for `spec` on `snapshot` (the spec has passed checkMarketFit, or the market is unknown). */
export function planOnMarket(
  snapshot: MarketplaceSnapshot,
  spec: StoredJobSpec,
  options: PlanOptions,
): MarketPlan {
  const fee = options.creationFeeUsd === undefined ? {} : { creationFeeUsd: options.creationFeeUsd };
  const selection = selectServers(snapshot.servers, spec, {
    usdRates: snapshot.usdRates,
    remainingBudgetUsd: spec.budgetUsd,
    firstCheckSeconds: options.firstCheckSeconds,
    listingAgeMs: options.listingAgeMs,
    maxListingAgeMs: options.maxListingAgeMs,
    ...fee,
  });
  const servers = selection.candidates
    .slice(0, options.count ?? 5)
    .map((c) => planned(c, firstCost(c.usdPerHour, 0, options.creationFeeUsd)));
  const notes: string[] = [];
  const first = selection.candidates[0];
  const fallback =
    first === undefined
      ? selectServers(snapshot.servers.map(onceFree), spec, { usdRates: snapshot.usdRates }).candidates[0]
      : undefined;
  if (first === undefined) {
    notes.push(waitNote(selection));
  }
  const basis = first ?? fallback;
  const estimate =
    basis === undefined ? undefined : estimateOn(basis, first !== undefined, spec, options.creationFeeUsd);
  if (estimate !== undefined && !estimate.creationFeeKnown) {
    notes.push(
      "the provider's creation fee is not known here: it is estimated at 1 % of a day's price, as the worker does",
    );
  }
  if (estimate !== undefined && !estimate.budgetCovers) {
    notes.push(
      `budgetUsd $${spec.budgetUsd} does not cover timeoutSeconds ${spec.timeoutSeconds} s at $${estimate.usdPerHour.toFixed(4)}/h: the job would be stopped (budget_exceeded) after about ${Math.round((estimate.budgetLastsSeconds ?? 0) / 60)} min`,
    );
  }
  return { servers, rejected: selection.rejected, ...(estimate === undefined ? {} : { estimate }), notes };
}

import type { Server } from '../fleet/provider-model';
import { gpuModelMatches } from '../spec/gpu-model';
import type { StoredJobSpec } from '../spec/job-spec';
import { type FirstCost, firstCost } from './first-cost';
import { serverUsdPerHour, type UsdRates } from './usd-price';

/** A server that matches a spec, with what renting it costs. */
export interface Candidate {
  server: Server;
  /** USD per hour for this order type and currency (spot: the minimum bid). */
  usdPerHour: number;
  /** Spot only: the bid to send, per day in the spec's currency (the server's minimum). */
  spotBidPerDay?: number;
  /**
   * The per-day price in the spec's currency this selection used (on-demand: the listed price; spot:
   * the bid), sent as `required_price` (Part A 14). Undefined when the listing gives none.
   */
  pricePerDay?: number;
}

/** Why a server was left out: the first constraint it broke (for logs and the job's history). */
export type Rejection =
  | 'rented'
  | 'gigaspot'
  | 'offline'
  | 'gpu_model'
  | 'gpu_count'
  | 'vram'
  | 'reliability'
  | 'currency'
  | 'no_price'
  | 'price'
  | 'mrl'
  | 'budget'
  | 'excluded'
  | 'stale_listing';

export interface SelectOptions {
  usdRates: UsdRates;
  /** Servers this job must not try again (refused, never came up, already claimed by another job). */
  exclude?: ReadonlySet<number>;
  /**
   * Time to allow on top of timeoutSeconds when checking a server's maximum rental length (the
   * server must stay rentable through provisioning and collection too). Default 1 hour.
   */
  mrlMarginSeconds?: number;
  /**
   * What the job may still spend. A server whose unavoidable first cost (first-cost.ts `firstCostUsd`) is
   * more is left out: renting it would pass the budget before the first budget check could stop it.
   */
  remainingBudgetUsd?: number;
  /** Seconds of billing counted before the first budget check can act (default 60). */
  firstCheckSeconds?: number;
  /**
   * The provider's creation fee for one order of the spec's currency and order type, in USD (the
   * fee book, Part A 11). Undefined: estimated at first-cost.ts CREATION_FEE_DAY_FRACTION of a day's price.
   */
  creationFeeUsd?: number;
  /**
   * How old the marketplace snapshot is (ms) and the most it may be: an older listing is refused
   * outright (every server `stale_listing`): its prices and free servers may be gone.
   */
  listingAgeMs?: number;
  maxListingAgeMs?: number;
}

export interface Selection {
  /** Matching servers, cheapest first (ties: more reliable first, then lower id). */
  candidates: Candidate[];
  /** How many servers each constraint left out. */
  rejected: Partial<Record<Rejection, number>>;
  /** The cheapest first cost among the servers left out for `budget` (for the refusal message). */
  cheapestRefused?: FirstCost;
}

/**
 * One server against the spec: the first constraint it breaks (in the order above), a budget
 * refusal with the first cost it would have, or the candidate it makes.
 */
export function serverRejection(
  server: Server,
  spec: StoredJobSpec,
  options: SelectOptions,
): Rejection | Candidate | { refused: FirstCost } {
  if (options.exclude?.has(server.id)) {
    return 'excluded';
  }
  if (server.gigaspot) {
    return 'gigaspot';
  }
  if (server.online === false) {
    return 'offline';
  }
  const matching = server.gpus.filter((gpu) => spec.gpu.model.some((model) => gpuModelMatches(model, gpu)));
  if (matching.length === 0) {
    return 'gpu_model';
  }
  if (matching.length < spec.gpu.count) {
    return 'gpu_count';
  }
  if (
    spec.gpu.minVramGb !== undefined &&
    (server.vramGb === undefined || server.vramGb < spec.gpu.minVramGb)
  ) {
    return 'vram';
  }
  if (server.reliability < spec.minReliability) {
    return 'reliability';
  }
  if (!server.allowedCurrencies.includes(spec.currency)) {
    return 'currency';
  }
  const usdPerHour = serverUsdPerHour(server, {
    currency: spec.currency,
    orderType: spec.orderType,
    rates: options.usdRates,
  });
  if (usdPerHour === undefined || !Number.isFinite(usdPerHour)) {
    return 'no_price';
  }
  if (usdPerHour > spec.maxPricePerHourUsd) {
    return 'price';
  }
  if (options.remainingBudgetUsd !== undefined) {
    const first = firstCost(usdPerHour, options.firstCheckSeconds, options.creationFeeUsd);
    if (first.totalUsd > options.remainingBudgetUsd) {
      return { refused: first };
    }
  }
  const needSeconds = spec.timeoutSeconds + (options.mrlMarginSeconds ?? 3_600);
  if (server.mrlHours !== undefined && server.mrlHours * 3_600 < needSeconds) {
    return 'mrl';
  }
  // Checked last: a rented server that would otherwise fit may free up; one that does not fit never will.
  if (server.rented) {
    return 'rented';
  }
  const candidate: Candidate = { server, usdPerHour };
  if (spec.orderType === 'spot') {
    const bid = server.pricePerDay.spot[spec.currency];
    if (bid === undefined || !(bid > 0)) {
      return 'no_price';
    }
    candidate.spotBidPerDay = bid;
    candidate.pricePerDay = bid;
  } else {
    const listed = server.pricePerDay.onDemand[spec.currency];
    if (listed !== undefined && listed > 0) {
      candidate.pricePerDay = listed;
    }
  }
  return candidate;
}

/**
 * The servers that match every constraint of the spec, cheapest per hour in USD first. Pure: the
 * caller supplies the marketplace snapshot and the servers to skip.
 */
export function selectServers(
  servers: readonly Server[],
  spec: StoredJobSpec,
  options: SelectOptions,
): Selection {
  const candidates: Candidate[] = [];
  const rejected: Selection['rejected'] = {};
  if (
    options.listingAgeMs !== undefined &&
    options.maxListingAgeMs !== undefined &&
    options.listingAgeMs > options.maxListingAgeMs
  ) {
    return { candidates, rejected: servers.length > 0 ? { stale_listing: servers.length } : {} };
  }
  let cheapestRefused: FirstCost | undefined;
  for (const server of servers) {
    const result = serverRejection(server, spec, options);
    if (typeof result === 'string') {
      rejected[result] = (rejected[result] ?? 0) + 1;
    } else if ('refused' in result) {
      rejected.budget = (rejected.budget ?? 0) + 1;
      if (cheapestRefused === undefined || result.refused.totalUsd < cheapestRefused.totalUsd) {
        cheapestRefused = result.refused;
      }
    } else {
      candidates.push(result);
    }
  }
  candidates.sort(
    (a, b) =>
      a.usdPerHour - b.usdPerHour || b.server.reliability - a.server.reliability || a.server.id - b.server.id,
  );
  return cheapestRefused === undefined ? { candidates, rejected } : { candidates, rejected, cheapestRefused };
}

import { AppError } from '../errors/app-error';
import type { MarketplaceSnapshot } from '../fleet/fleet-records';
import type { Server } from '../fleet/provider-model';
import { gpuModelMatches } from '../spec/gpu-model';
import type { StoredJobSpec } from '../spec/job-spec';
import { knownGpuNames, namesAnyGpu, shortGpuName, suggestGpuModels } from './gpu-names';
import { type Rejection, selectServers, serverRejection } from './select-servers';
import { serverUsdPerHour } from './usd-price';

/**
 * Whether a spec could ever run on the marketplace as listed (docs/decisions/0132): every
 * constraint of the worker's selection (select-servers.ts) but the ones time changes (a server
 * rented or offline now, the job's remaining budget). A spec no listed server could ever satisfy
 * is refused at submit, naming the closest offer, instead of waiting out the provisioning timeout.
 */
export type MarketFit =
  | {
      ok: true;
      /** Servers that fit the spec, free or not. */
      fitting: number;
      /** Of those, rentable now (online, not rented). */
      free: number;
      /** Things worth telling the submitter (a model in a list that no server has). */
      notes: string[];
    }
  | { ok: false; error: AppError };

/** The constraints that never change by waiting, in the order selection checks them. */
const LASTING: readonly Rejection[] = [
  'gpu_model',
  'gpu_count',
  'vram',
  'reliability',
  'currency',
  'no_price',
  'price',
  'mrl',
];

/** A server as it would be judged once free: rented and offline are passing states. */
export const onceFree = (server: Server): Server => ({ ...server, rented: false, online: true });

interface Judged {
  server: Server;
  /** How far through LASTING it got (its index of the first broken one). */
  stage: number;
  /** The matching GPUs' count on it. */
  matching: number;
  usdPerHour?: number;
}

function usdPerHourOf(server: Server, spec: StoredJobSpec, rates: MarketplaceSnapshot['usdRates']) {
  return serverUsdPerHour(server, { currency: spec.currency, orderType: spec.orderType, rates });
}

function judge(server: Server, spec: StoredJobSpec, rates: MarketplaceSnapshot['usdRates']): Judged {
  const result = serverRejection(onceFree(server), spec, { usdRates: rates });
  const stage = typeof result === 'string' ? LASTING.indexOf(result) : LASTING.length;
  const matching = server.gpus.filter((gpu) => spec.gpu.model.some((m) => gpuModelMatches(m, gpu))).length;
  const price = usdPerHourOf(server, spec, rates);
  return { server, stage, matching, ...(price === undefined ? {} : { usdPerHour: price }) };
}

/** Among servers that got as far, the closest: the best on the constraint they broke. */
function closestOf(judged: Judged[], reason: Rejection): Judged {
  const score = (j: Judged): number => {
    switch (reason) {
      case 'gpu_count':
        return j.matching;
      case 'vram':
        return j.server.vramGb ?? 0;
      case 'reliability':
        return j.server.reliability;
      case 'mrl':
        return j.server.mrlHours ?? 0;
      default:
        return -(j.usdPerHour ?? Number.POSITIVE_INFINITY);
    }
  };
  return [...judged].sort((a, b) => score(b) - score(a) || a.server.id - b.server.id)[0] as Judged;
}

const usd = (value: number) => `$${value.toFixed(value < 1 ? 4 : 2)}`;

function describeServer(j: Judged): string {
  const gpu = `${j.matching}x ${shortGpuName(j.server.gpus[0] ?? j.server.gpuModel)}`;
  const vram = j.server.vramGb === undefined ? '' : `, ${j.server.vramGb} GB`;
  const price = j.usdPerHour === undefined ? '' : ` at ${usd(j.usdPerHour)}/h`;
  return `server ${j.server.id}: ${gpu}${vram}${price}`;
}

function why(reason: Rejection, closest: Judged, spec: StoredJobSpec, models: string): string {
  const s = closest.server;
  switch (reason) {
    case 'gpu_model':
      return `every listed ${models} server is on GigaSPOT, which takes no normal orders`;
    case 'gpu_count':
      return `no listed server has ${spec.gpu.count} ${models} GPUs: the most on one server is ${closest.matching}`;
    case 'vram':
      return `no listed ${models} server has ${spec.gpu.minVramGb} GB per GPU: the most is ${s.vramGb ?? 'unknown'} GB`;
    case 'reliability':
      return `no listed ${models} server has reliability ${spec.minReliability} or more: the most reliable has ${s.reliability}`;
    case 'currency':
      return `no listed ${models} server accepts ${spec.currency}: they take ${[...new Set(s.allowedCurrencies)].join(', ') || 'none'}`;
    case 'no_price':
      return `no listed ${models} server quotes a ${spec.orderType} price in ${spec.currency}`;
    case 'price':
      return `every listed server that fits costs more than maxPricePerHourUsd ${usd(spec.maxPricePerHourUsd)}/h: the cheapest is ${usd(closest.usdPerHour ?? 0)}/h`;
    default:
      return `no listed ${models} server can be rented for timeoutSeconds ${spec.timeoutSeconds} s plus an hour: the longest maximum rental is ${s.mrlHours} h`;
  }
}

function unknownModel(spec: StoredJobSpec, names: string[]): AppError {
  const suggestions = [...new Set(spec.gpu.model.flatMap((model) => suggestGpuModels(model, names)))];
  const asked = spec.gpu.model.map((m) => `"${m}"`).join(', ');
  const hint =
    suggestions.length > 0 ? `did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}?` : 'no close name';
  return new AppError(
    'GPU_MODEL_UNKNOWN',
    `no server on the marketplace has a GPU named ${asked}: ${hint} (clore-batch offers lists every model)`,
    {
      details: {
        models: spec.gpu.model,
        suggestions,
        issues: [{ path: 'gpu.model', message: `names no listed GPU; ${hint}` }],
      },
    },
  );
}

/**
 * The spec against a marketplace snapshot: `ok` with how many servers fit (and are free now), or
 * the refusal: GPU_MODEL_UNKNOWN (no listed GPU has the name; suggestions by edit distance) or
 * SPEC_UNSATISFIABLE (naming the constraint and the closest offer). A model in a list that no
 * server has, beside one that some server has, is a note, not a refusal. An empty listing checks
 * nothing (the provider answered with no server at all: it says nothing about the spec).
 */
export function checkMarketFit(snapshot: MarketplaceSnapshot, spec: StoredJobSpec): MarketFit {
  if (snapshot.servers.length === 0) {
    return {
      ok: true,
      fitting: 0,
      free: 0,
      notes: ['the marketplace listing is empty: the spec was not checked against it'],
    };
  }
  const names = knownGpuNames(snapshot.servers);
  const unknown = spec.gpu.model.filter((model) => !namesAnyGpu(model, names));
  if (unknown.length === spec.gpu.model.length) {
    return { ok: false, error: unknownModel(spec, names) };
  }
  const notes = unknown.map((model) => {
    const close = suggestGpuModels(model, names);
    const hint = close.length > 0 ? ` (did you mean ${close.map((c) => `"${c}"`).join(', ')}?)` : '';
    return `no listed server has a GPU named "${model}"${hint}; the job may run on the other models it names`;
  });
  const judged = snapshot.servers.filter((s) => !s.gigaspot).map((s) => judge(s, spec, snapshot.usdRates));
  const fitting = judged.filter((j) => j.stage === LASTING.length);
  if (fitting.length > 0) {
    const free = selectServers(snapshot.servers, spec, { usdRates: snapshot.usdRates }).candidates;
    return { ok: true, fitting: fitting.length, free: free.length, notes };
  }
  if (judged.length === 0) {
    // Nothing to judge against (an empty listing, or only GigaSPOT servers): never a refusal.
    return {
      ok: true,
      fitting: 0,
      free: 0,
      notes: [...notes, 'the marketplace lists no server to check the job against'],
    };
  }
  const furthest = Math.max(0, ...judged.map((j) => j.stage));
  const reason = LASTING[furthest] as Rejection;
  if (reason === 'no_price') {
    // The listing's prices could not be read in the job's currency (no exchange rate, a missing
    // price): a gap in the listing, not in the spec. Accepted; the worker selects at run time.
    return {
      ok: true,
      fitting: 0,
      free: 0,
      notes: [
        ...notes,
        'the marketplace listing gives no usable price for the matching servers now; the job waits for one',
      ],
    };
  }
  const closest = closestOf(
    judged.filter((j) => j.stage === furthest),
    reason,
  );
  const models = spec.gpu.model.join(' or ');
  return {
    ok: false,
    error: new AppError(
      'SPEC_UNSATISFIABLE',
      `no server on the marketplace could ever run this job: ${why(reason, closest, spec, models)} (closest offer: ${describeServer(closest)})`,
      { details: { reason, closest: closestDetails(closest) } },
    ),
  };
}

function closestDetails(j: Judged): Record<string, unknown> {
  const s = j.server;
  return {
    serverId: s.id,
    gpu: shortGpuName(s.gpus[0] ?? s.gpuModel),
    gpuCount: j.matching,
    ...(s.vramGb === undefined ? {} : { vramGb: s.vramGb }),
    reliability: s.reliability,
    ...(j.usdPerHour === undefined ? {} : { usdPerHour: j.usdPerHour }),
    ...(s.mrlHours === undefined ? {} : { mrlHours: s.mrlHours }),
    allowedCurrencies: s.allowedCurrencies,
    rented: s.rented,
  };
}

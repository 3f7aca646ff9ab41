import type { MarketplaceSnapshot } from '../fleet/fleet-records';
import type { Server } from '../fleet/provider-model';
import { gpuModelMatches } from '../spec/gpu-model';
import type { OrderType } from '../spec/job-spec';
import { shortGpuName } from './gpu-names';
import { median } from './median';
import { serverUsdPerHour } from './usd-price';

/**
 * What the marketplace offers, grouped by GPU model and count (`GET /v1/offers`, `clore-batch
 * offers`): read from the fleet's marketplace snapshot, priced in USD per hour the way selection
 * prices (usd-price.ts), GPU names matched the way selection matches (spec/gpu-model.ts).
 */
export interface OfferQuery {
  /** Only servers with this GPU model (a spec's `gpu.model`); the count is of matching GPUs. */
  gpu?: string;
  /** Only servers at most this price (USD per hour). */
  maxPricePerHourUsd?: number;
  currency: string;
  orderType: OrderType;
  /** How many of the cheapest free servers each group lists (default 3). */
  cheapestCount?: number;
}

export interface OfferServer {
  serverId: number;
  usdPerHour: number;
  vramGb?: number;
  reliability: number;
  /** Maximum rental length, hours. */
  mrlHours?: number;
  country?: string;
}

export interface OfferGroup {
  /** The GPU as people name it in a spec ("RTX 4090"). */
  gpu: string;
  /** The provider's full name ("NVIDIA GeForce RTX 4090"). */
  gpuName: string;
  gpuCount: number;
  /** Memory per GPU (GB) the group's servers have, distinct values ascending. */
  vramGb: number[];
  /** Servers listed that take the currency and quote a price for the order type (not GigaSPOT). */
  servers: number;
  /** Of those, online and not rented: rentable now. */
  free: number;
  /** Over the free servers; undefined when none is free. */
  cheapestUsdPerHour?: number;
  medianUsdPerHour?: number;
  /** Over every listed server of the group, free or not. */
  cheapestListedUsdPerHour: number;
  /** The cheapest free servers, cheapest first. */
  cheapest: OfferServer[];
}

/** The group a server is counted in: its (matching) GPU name and how many of them it has. */
function groupOf(server: Server, gpu: string | undefined): { name: string; count: number } | undefined {
  const gpus = gpu === undefined ? server.gpus : server.gpus.filter((name) => gpuModelMatches(gpu, name));
  if (gpus.length === 0) {
    return undefined;
  }
  const counts = new Map<string, number>();
  for (const name of gpus) {
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const [name] = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0] ?? [''];
  return { name, count: gpus.length };
}

interface Priced {
  server: Server;
  usdPerHour: number;
  free: boolean;
}

function toOfferServer({ server, usdPerHour }: Priced): OfferServer {
  return {
    serverId: server.id,
    usdPerHour,
    ...(server.vramGb === undefined ? {} : { vramGb: server.vramGb }),
    reliability: server.reliability,
    ...(server.mrlHours === undefined ? {} : { mrlHours: server.mrlHours }),
    ...(server.specs.country === undefined ? {} : { country: server.specs.country }),
  };
}

/** The offer groups of a snapshot, by GPU model (as a spec names it) then count. */
export function summariseOffers(snapshot: MarketplaceSnapshot, query: OfferQuery): OfferGroup[] {
  const groups = new Map<string, { name: string; count: number; members: Priced[] }>();
  for (const server of snapshot.servers) {
    if (server.gigaspot || !server.allowedCurrencies.includes(query.currency)) {
      continue;
    }
    const usdPerHour = serverUsdPerHour(server, {
      currency: query.currency,
      orderType: query.orderType,
      rates: snapshot.usdRates,
    });
    if (usdPerHour === undefined || !Number.isFinite(usdPerHour)) {
      continue;
    }
    if (query.maxPricePerHourUsd !== undefined && usdPerHour > query.maxPricePerHourUsd) {
      continue;
    }
    const group = groupOf(server, query.gpu);
    if (group === undefined) {
      continue;
    }
    const key = `${group.name}\n${group.count}`;
    const entry = groups.get(key) ?? { ...group, members: [] };
    entry.members.push({ server, usdPerHour, free: !server.rented && server.online !== false });
    groups.set(key, entry);
  }
  const byPrice = (a: Priced, b: Priced) =>
    a.usdPerHour - b.usdPerHour || b.server.reliability - a.server.reliability || a.server.id - b.server.id;
  return [...groups.values()]
    .sort(
      (a, b) =>
        shortGpuName(a.name).localeCompare(shortGpuName(b.name)) ||
        a.name.localeCompare(b.name) ||
        a.count - b.count,
    )
    .map(({ name, count, members }) => {
      const sorted = [...members].sort(byPrice);
      const free = sorted.filter((m) => m.free);
      const freePrices = free.map((m) => m.usdPerHour);
      const vram = new Set(members.flatMap((m) => (m.server.vramGb === undefined ? [] : [m.server.vramGb])));
      const cheapestFree = freePrices[0];
      const medianFree = median(freePrices);
      return {
        gpu: shortGpuName(name),
        gpuName: name,
        gpuCount: count,
        vramGb: [...vram].sort((a, b) => a - b),
        servers: members.length,
        free: free.length,
        ...(cheapestFree === undefined ? {} : { cheapestUsdPerHour: cheapestFree }),
        ...(medianFree === undefined ? {} : { medianUsdPerHour: medianFree }),
        cheapestListedUsdPerHour: sorted[0]?.usdPerHour ?? 0,
        cheapest: free.slice(0, query.cheapestCount ?? 3).map(toOfferServer),
      };
    });
}

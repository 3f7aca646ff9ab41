import { perDayToUsdPerHour, type Server, type ServerSpecs } from '@clore-batch/shared';
import { type PriceUnit, toUsdPerHour } from '../money/price-unit';
import { USD_KEY_BY_CURRENCY, type UsdRates } from '../money/usd-rates';
import type { RawServer } from '../schema/marketplace';

/**
 * A marketplace server, in the one internal model (both response shapes normalise to this). Its
 * shape is `ServerSchema` in @clore-batch/shared, which the fleet's stored marketplace is parsed with.
 */
export type { Server, ServerSpecs };

const COUNT_PREFIX = /^\s*(\d+)\s*x\s+(.+)$/i;

/** "2x NVIDIA GeForce RTX 4090" → two entries, when the API sent no gpu_array. */
function gpusFromText(text: string | undefined): string[] {
  if (text === undefined || text.trim() === '') {
    return [];
  }
  const match = COUNT_PREFIX.exec(text);
  if (match === null) {
    return [text.trim()];
  }
  const count = Math.min(Number(match[1]), 64);
  return Array.from({ length: count }, () => (match[2] ?? '').trim());
}

function normaliseReliability(value: number | undefined): number {
  if (value === undefined || value < 0) {
    return 0;
  }
  return value > 1 ? Math.min(value / 100, 1) : value;
}

/** The one place a raw marketplace server becomes a `Server`. */
export function normaliseServer(raw: RawServer, unit: PriceUnit, rates: UsdRates): Server {
  const onDemand = raw.price.on_demand ?? {};
  const spot = raw.price.spot ?? {};
  const usd = raw.price.usd ?? {};
  const gpus = raw.gpu_array?.map((g) => g.trim()) ?? gpusFromText(raw.specs?.gpu);
  const usdOnDemand: Record<string, number> = {};
  for (const [currency, amount] of Object.entries(onDemand)) {
    const usdKey = USD_KEY_BY_CURRENCY[currency];
    const quoted = usdKey === undefined ? undefined : usd[usdKey];
    const rate = rates[currency];
    if (quoted !== undefined) {
      usdOnDemand[currency] = toUsdPerHour(quoted, unit);
    } else if (rate !== undefined) {
      usdOnDemand[currency] = perDayToUsdPerHour(amount, rate);
    }
  }
  const server: Server = {
    id: raw.id,
    gpus,
    gpuCount: gpus.length,
    gpuModel: raw.specs?.gpu ?? gpus[0] ?? '',
    reliability: normaliseReliability(raw.reliability),
    rented: raw.rented ?? false,
    gigaspot: raw.gigaspot ?? false,
    allowedCurrencies: raw.allowed_coins ?? Object.keys(onDemand),
    pricePerDay: {
      onDemand: { ...onDemand },
      spot: { ...spot },
    },
    usdPerHour: { onDemand: usdOnDemand },
    specs: specsOf(raw),
  };
  if (usd.spot !== undefined) {
    server.usdPerHour.spot = toUsdPerHour(usd.spot, unit);
  }
  if (raw.owner !== undefined) {
    server.ownerId = raw.owner;
  }
  if (raw.specs?.gpuram !== undefined) {
    server.vramGb = raw.specs.gpuram;
  }
  if (raw.online !== undefined) {
    server.online = raw.online;
  }
  if (raw.mrl !== undefined) {
    server.mrlHours = raw.mrl;
  }
  if (raw.rating?.avg !== undefined) {
    server.rating = { average: raw.rating.avg, count: raw.rating.cnt ?? 0 };
  }
  if (raw.cuda_version !== undefined) {
    server.cudaVersion = String(raw.cuda_version);
  }
  return server;
}

function specsOf(raw: RawServer): ServerSpecs {
  const s = raw.specs;
  const specs: ServerSpecs = {};
  if (s === undefined) {
    return specs;
  }
  if (s.cpu !== undefined) {
    specs.cpu = s.cpu;
  }
  if (s.cpus !== undefined) {
    specs.cpuThreads = String(s.cpus);
  }
  if (s.ram !== undefined) {
    specs.ramGb = s.ram;
  }
  if (s.disk !== undefined) {
    specs.disk = s.disk;
  }
  if (s.disk_speed !== undefined) {
    specs.diskSpeedMbps = s.disk_speed;
  }
  if (s.net?.up !== undefined) {
    specs.netUpMbps = s.net.up;
  }
  if (s.net?.down !== undefined) {
    specs.netDownMbps = s.net.down;
  }
  if (s.net?.cc !== undefined) {
    specs.country = s.net.cc;
  }
  return specs;
}

import { CURRENCIES, type Currency, fromUsd, roundAmount } from '../currencies';
import type { Rng } from '../rng';
import { BOARDS, COUNTRIES, CPUS, GPU_COUNTS, GPU_MODELS } from './gpu-models';
import type { SimServer } from './server';

const MRL_HOURS: readonly (readonly [number, number])[] = [
  [24, 1],
  [48, 1],
  [72, 3],
  [150, 2],
  [240, 2],
  [720, 1],
];

const COIN_SETS: readonly (readonly [Currency[], number])[] = [
  [[...CURRENCIES], 6],
  [['CLORE-Blockchain', 'bitcoin'], 2],
  [['CLORE-Blockchain', 'USD-Blockchain'], 2],
  [['CLORE-Blockchain'], 1],
  [['bitcoin', 'USD-Blockchain'], 1],
];

/**
 * A seeded marketplace. Most servers are online, unrented, off GigaSPOT and reliable (so jobs find
 * something), and the common models (RTX 3090, RTX 4090) appear many times; a share is rented,
 * offline or on GigaSPOT so clients meet those cases too.
 */
export function generateMarketplace(rng: Rng, count: number): SimServer[] {
  const servers: SimServer[] = [];
  let id = 1000 + rng.int(0, 500);
  const weights = GPU_MODELS.map((m) => [m, m.weight] as const);
  for (let i = 0; i < count; i += 1) {
    id += rng.int(1, 40);
    const model = rng.weighted(weights);
    const gpuCount = rng.weighted(GPU_COUNTS);
    const [cpu, cpus] = rng.pick(CPUS);
    const usdPerHour = rng.range(model.usdPerHour[0], model.usdPerHour[1]) * gpuCount;
    const allowedCoins = rng.weighted(COIN_SETS);
    const onDemand: Partial<Record<Currency, number>> = {};
    const spotMin: Partial<Record<Currency, number>> = {};
    for (const coin of allowedCoins) {
      // Hosts price each coin separately; CLORE is usually a little cheaper in USD terms.
      const skew = coin === 'CLORE-Blockchain' ? rng.range(0.85, 1) : rng.range(0.97, 1.05);
      const perDayUsd = usdPerHour * 24 * skew;
      onDemand[coin] = roundAmount(fromUsd(perDayUsd, coin), coin);
      spotMin[coin] = roundAmount(fromUsd(perDayUsd * rng.range(0.35, 0.6), coin), coin);
    }
    const roll = rng.next();
    // 10 % rented by others, 6 % offline, 4 % on GigaSPOT; the rest available.
    const rentedExternally = roll < 0.1;
    const online = !(roll >= 0.1 && roll < 0.16);
    const gigaspot = roll >= 0.16 && roll < 0.2;
    const reliable = rng.chance(0.8);
    const ramGb = Number(
      (rng.pick([31.2, 62.67, 125.7, 251.5, 503.6]) * Math.max(1, gpuCount / 4)).toFixed(2),
    );
    servers.push({
      id,
      owner: 100 + rng.int(0, 400),
      mrl: rng.weighted(MRL_HOURS),
      gpuModel: model.name,
      gpuCount,
      gpuRamGb: model.vramGb,
      cpu,
      cpus,
      ramGb,
      disk: `${rng.pick(['NVMe', 'SSD'])} ${rng.pick([256, 512, 1024, 2048])}GB`,
      diskSpeed: rng.int(400, 6500),
      mb: rng.pick(BOARDS),
      net: {
        up: Number(rng.range(20, 1000).toFixed(2)),
        down: Number(rng.range(50, 1000).toFixed(2)),
        cc: rng.pick(COUNTRIES),
      },
      cudaVersion: rng.pick(model.cuda),
      pcieRev: rng.pick([3, 4, 4, 5]),
      pcieWidth: rng.pick([4, 8, 16, 16]),
      allowedCoins: [...allowedCoins],
      usdPerDay: roundAmount(usdPerHour * 24, 'USD-Blockchain'),
      onDemand,
      spotMin,
      reliability: Number((reliable ? rng.range(0.9, 1) : rng.range(0.4, 0.9)).toFixed(4)),
      rating: { avg: Number(rng.range(3.2, 5).toFixed(2)), cnt: rng.int(0, 300) },
      online,
      gigaspot,
      rentedExternally,
    });
  }
  return servers;
}

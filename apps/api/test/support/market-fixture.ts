import { fleetKeys, fleetRecordJson, type Server } from '@clore-batch/shared';
import { testServer } from '@clore-batch/shared/market-test-kit';
import type { Redis } from 'ioredis';

/**
 * Test-only: the fleet leader's marketplace snapshot, written as the leader writes it (the fleet
 * record's own schema), so the API's offers, submit check and plans read a known market.
 */
export const MARKET_RATES = { 'CLORE-Blockchain': 0.02, 'USD-Blockchain': 1 };

/** A free 1x RTX 4090 (24 GB) at $0.40/h in CLORE, in Germany; override any field. */
export function marketServer(id: number, overrides: Partial<Server> = {}): Server {
  return testServer(id, {
    ...pricedAt(0.4),
    online: true,
    reliability: 0.97,
    mrlHours: 240,
    specs: { country: 'DE' },
    ...overrides,
  });
}

/** On-demand price overrides for `marketServer`: `usd` per hour in both currencies. */
export function pricedAt(usd: number): Pick<Server, 'pricePerDay' | 'usdPerHour'> {
  return {
    pricePerDay: {
      onDemand: { 'CLORE-Blockchain': (usd * 24) / 0.02, 'USD-Blockchain': usd * 24 },
      spot: { 'CLORE-Blockchain': (usd * 12) / 0.02 },
    },
    usdPerHour: { onDemand: { 'CLORE-Blockchain': usd, 'USD-Blockchain': usd }, spot: usd / 2 },
  };
}

/** The default market: RTX 4090s at $0.40, $0.55 (and one rented at $0.30), a 2x at $0.90, an RTX 3090. */
export function defaultMarket(): Server[] {
  return [
    marketServer(101),
    marketServer(102, pricedAt(0.55)),
    marketServer(103, { ...pricedAt(0.3), rented: true }),
    marketServer(104, { ...pricedAt(0.9), gpus: ['NVIDIA GeForce RTX 4090', 'NVIDIA GeForce RTX 4090'] }),
    marketServer(105, { ...pricedAt(0.2), gpus: ['NVIDIA GeForce RTX 3090'] }),
  ];
}

/** Store a snapshot listed `ageMs` ago (default now). */
export async function storeMarket(
  redis: Redis,
  prefix: string,
  servers: Server[] = defaultMarket(),
  ageMs = 0,
): Promise<void> {
  const snapshot = { at: Date.now() - ageMs, servers, usdRates: MARKET_RATES };
  await redis.set(fleetKeys(prefix).marketplace, fleetRecordJson('marketplace', snapshot));
}

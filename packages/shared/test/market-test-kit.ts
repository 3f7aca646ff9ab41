import type { MarketplaceSnapshot } from '../src/fleet/fleet-records';
import type { Server } from '../src/fleet/provider-model';

/** Test-only: marketplace servers, snapshots and specs for the market functions' tests. */
export const TEST_RATES = { 'CLORE-Blockchain': 0.02, bitcoin: 60_000, 'USD-Blockchain': 1 };

/** A free, reliable 1x RTX 4090 at $0.50/h in CLORE (override any field). */
export function testServer(id: number, overrides: Partial<Server> = {}): Server {
  const gpus = overrides.gpus ?? ['NVIDIA GeForce RTX 4090'];
  return {
    id,
    gpus,
    gpuCount: gpus.length,
    gpuModel: `${gpus.length}x ${gpus[0]}`,
    vramGb: 24,
    reliability: 0.95,
    rented: false,
    gigaspot: false,
    allowedCurrencies: ['CLORE-Blockchain', 'USD-Blockchain'],
    mrlHours: 72,
    pricePerDay: { onDemand: { 'CLORE-Blockchain': 24 }, spot: { 'CLORE-Blockchain': 12 } },
    usdPerHour: { onDemand: { 'CLORE-Blockchain': 0.5, 'USD-Blockchain': 0.52 }, spot: 0.01 },
    specs: {},
    ...overrides,
  };
}

/** `overrides` on the server's CLORE on-demand price only. */
export const priced = (usd: number): Partial<Server> => ({
  usdPerHour: { onDemand: { 'CLORE-Blockchain': usd } },
});

export function testSnapshot(servers: Server[], at = 1_700_000_000_000): MarketplaceSnapshot {
  return { at, servers, usdRates: TEST_RATES };
}

/** A stored spec in CLORE: RTX 4090, at most $1/h, $5 budget (the store's test spec). */
export { testSpec } from './store-fixture';

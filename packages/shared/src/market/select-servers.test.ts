import { describe, expect, it } from 'vitest';
import { TEST_RATES, testServer, testSpec } from '../../test/market-test-kit';
import { gpuModelMatches } from '../spec/gpu-model';
import { firstCostUsd } from './first-cost';
import { selectServers } from './select-servers';

const rates = TEST_RATES;
const server = testServer;
const spec = testSpec;

describe('gpuModelMatches', () => {
  it('matches whole model names, case-insensitively (gpu-model.test.ts has the rules)', () => {
    expect(gpuModelMatches('RTX 4090', 'NVIDIA GeForce RTX 4090')).toBe(true);
    expect(gpuModelMatches('rtx 4090', 'NVIDIA GeForce RTX 4090')).toBe(true);
    expect(gpuModelMatches('RTX 409', 'NVIDIA GeForce RTX 4090')).toBe(false);
    expect(gpuModelMatches('A100', 'NVIDIA A100 80GB PCIe')).toBe(true);
    expect(gpuModelMatches('RTX 3090', 'NVIDIA GeForce RTX 3090 Ti')).toBe(false);
    expect(gpuModelMatches('', 'anything')).toBe(false);
  });
});

describe('selectServers: the price guard and the pre-rent cost check', () => {
  it('refuses a marketplace listing older than the bound (every server stale_listing)', () => {
    const servers = [server(1), server(2)];
    const fresh = selectServers(servers, spec(), {
      usdRates: rates,
      listingAgeMs: 10_000,
      maxListingAgeMs: 60_000,
    });
    expect(fresh.candidates).toHaveLength(2);
    const stale = selectServers(servers, spec(), {
      usdRates: rates,
      listingAgeMs: 61_000,
      maxListingAgeMs: 60_000,
    });
    expect(stale.candidates).toEqual([]);
    expect(stale.rejected).toEqual({ stale_listing: 2 });
  });

  it('carries the per-day price selection used (required_price): listed on-demand price, spot bid', () => {
    const [onDemand] = selectServers([server(1)], spec(), { usdRates: rates }).candidates;
    expect(onDemand?.pricePerDay).toBe(24);
    const [spot] = selectServers([server(1)], spec({ orderType: 'spot' }), { usdRates: rates }).candidates;
    expect(spot?.pricePerDay).toBe(12);
  });

  it("uses the provider's creation fee when known: a $0.03 budget rents a $0.15/h server whose fee is $0.018", () => {
    const cheap = server(1, { usdPerHour: { onDemand: { 'CLORE-Blockchain': 0.15 } } });
    const options = { usdRates: rates, remainingBudgetUsd: 0.03, firstCheckSeconds: 3 };
    // The 1 % guess ($0.036) refuses it and says what it estimated.
    const guessed = selectServers([cheap], spec(), options);
    expect(guessed.candidates).toEqual([]);
    expect(guessed.cheapestRefused).toMatchObject({ feeKnown: false });
    expect(guessed.cheapestRefused?.feeUsd).toBeCloseTo(0.036);
    expect(guessed.cheapestRefused?.totalUsd).toBeCloseTo(0.036 + 0.15 * (3 / 3_600));
    const known = selectServers([cheap], spec(), { ...options, creationFeeUsd: 0.018 });
    expect(known.candidates.map((c) => c.server.id)).toEqual([1]);
  });
});

describe('selectServers', () => {
  it('never picks a variant of the model asked for (RTX 4090 D, RTX 3090 Ti), however cheap', () => {
    const cheap = { usdPerHour: { onDemand: { 'CLORE-Blockchain': 0.1 } } };
    const servers = [
      server(1, { ...cheap, gpus: ['NVIDIA GeForce RTX 4090 D'] }),
      server(2, { ...cheap, gpus: ['NVIDIA GeForce RTX 3090 Ti'] }),
      server(3, { usdPerHour: { onDemand: { 'CLORE-Blockchain': 0.4 } } }),
    ];
    const { candidates, rejected } = selectServers(
      servers,
      spec({ gpu: { model: ['RTX 4090', 'RTX 3090'] } }),
      {
        usdRates: rates,
      },
    );
    expect(candidates.map((c) => c.server.id)).toEqual([3]);
    expect(rejected.gpu_model).toBe(2);
  });

  it('ranks matching servers by USD per hour, then reliability, then id', () => {
    const servers = [
      server(1, { usdPerHour: { onDemand: { 'CLORE-Blockchain': 0.8 } } }),
      server(2, { usdPerHour: { onDemand: { 'CLORE-Blockchain': 0.3 } }, reliability: 0.92 }),
      server(3, { usdPerHour: { onDemand: { 'CLORE-Blockchain': 0.3 } }, reliability: 0.99 }),
    ];
    const { candidates } = selectServers(servers, spec(), { usdRates: rates });
    expect(candidates.map((c) => c.server.id)).toEqual([3, 2, 1]);
    expect(candidates[0]?.usdPerHour).toBe(0.3);
  });

  it('leaves out each server that breaks one constraint, and says which', () => {
    const servers = [
      server(1, { rented: true }),
      server(2, { gigaspot: true }),
      server(3, { online: false }),
      server(4, { gpus: ['NVIDIA GeForce RTX 3090'] }),
      server(5, { gpus: ['NVIDIA GeForce RTX 4090'] }),
      server(6, { vramGb: 12 }),
      server(7, { reliability: 0.5 }),
      server(8, { allowedCurrencies: ['bitcoin'] }),
      server(9, { usdPerHour: { onDemand: { 'CLORE-Blockchain': 1.5 } } }),
      server(10, { mrlHours: 1 }),
      server(11, { usdPerHour: { onDemand: {} } }),
      server(12),
      server(13, { gpus: ['NVIDIA GeForce RTX 4090', 'NVIDIA GeForce RTX 4090'] }),
    ];
    const selection = selectServers(
      servers,
      spec({ gpu: { model: ['RTX 4090'], count: 2, minVramGb: 16 } }),
      {
        usdRates: rates,
        exclude: new Set([12]),
      },
    );
    expect(selection.candidates.map((c) => c.server.id)).toEqual([13]);
    // A rented server is judged on everything else first (server 1 has one GPU: gpu_count).
    expect(selection.rejected).toEqual({
      gigaspot: 1,
      offline: 1,
      gpu_model: 1,
      gpu_count: 8,
      excluded: 1,
    });
    const single = selectServers(
      servers,
      spec({ gpu: { model: 'RTX 4090', minVramGb: 16 }, timeoutSeconds: 7_200 }),
      {
        usdRates: rates,
      },
    );
    expect(single.rejected).toMatchObject({
      rented: 1,
      vram: 1,
      reliability: 1,
      currency: 1,
      price: 1,
      mrl: 1,
      no_price: 1,
    });
    expect(single.candidates.map((c) => c.server.id)).toEqual([5, 12, 13]);
  });

  it('leaves out servers whose creation fee and first minute would pass the budget left', () => {
    const servers = [
      server(1, { usdPerHour: { onDemand: { 'CLORE-Blockchain': 0.2 } } }),
      server(2, { usdPerHour: { onDemand: { 'CLORE-Blockchain': 0.9 } } }),
      server(3, { usdPerHour: { onDemand: { 'CLORE-Blockchain': 0.9 } }, rented: true }),
    ];
    // $0.2/h: fee 0.2 × 24 × 1 % = $0.048, plus a minute $0.0033; $0.9/h: $0.216 + $0.015.
    expect(firstCostUsd(0.2, 60)).toBeCloseTo(0.0513, 4);
    const selection = selectServers(servers, spec(), { usdRates: rates, remainingBudgetUsd: 0.1 });
    expect(selection.candidates.map((c) => c.server.id)).toEqual([1]);
    expect(selection.rejected).toEqual({ budget: 2 });
    const none = selectServers(servers, spec(), { usdRates: rates, remainingBudgetUsd: 0.001 });
    expect(none.candidates).toEqual([]);
    expect(none.rejected).toEqual({ budget: 3 });
  });

  it('prices spot orders at the minimum bid and sends that bid', () => {
    const { candidates } = selectServers([server(1)], spec({ orderType: 'spot' }), { usdRates: rates });
    expect(candidates[0]?.spotBidPerDay).toBe(12);
    expect(candidates[0]?.usdPerHour).toBeCloseTo((12 / 24) * 0.02);
  });

  it('accepts any of several GPU models', () => {
    const servers = [server(1, { gpus: ['NVIDIA GeForce RTX 3090'] }), server(2, { gpus: ['NVIDIA A100'] })];
    const { candidates } = selectServers(servers, spec({ gpu: { model: ['RTX 3090', 'A100'] } }), {
      usdRates: rates,
    });
    expect(candidates.map((c) => c.server.id).sort()).toEqual([1, 2]);
  });
});

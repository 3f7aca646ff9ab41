import { serverUsdPerHour } from '@clore-batch/shared';
import { describe, expect, it } from 'vitest';
import { deriveUsdRates } from '../money/usd-rates';
import { RawServerSchema } from '../schema/marketplace';
import { normaliseServer } from './server';

const realShape = {
  id: 6,
  owner: 4,
  mrl: 73,
  price: {
    on_demand: { bitcoin: 0.00002, 'CLORE-Blockchain': 48 },
    spot: { bitcoin: 0.000002, 'CLORE-Blockchain': 24 },
    usd: { on_demand_clore: 1.44, on_demand_btc: 1.2, spot: 0.72 },
  },
  rented: false,
  specs: {
    cpu: 'Intel Core i9-11900',
    ram: 62.67,
    gpu: '2x NVIDIA GeForce RTX 4090',
    gpuram: 24,
    net: { up: 26, down: 118, cc: 'CZ' },
  },
  reliability: 0.985,
  allowed_coins: ['CLORE-Blockchain', 'bitcoin'],
  rating: { avg: 4.8, cnt: 25 },
  gpu_array: ['NVIDIA GeForce RTX 4090', 'NVIDIA GeForce RTX 4090'],
  cuda_version: '12.4',
  some_new_field: [1, 2, 3],
};

describe('normaliseServer', () => {
  it('reads the real shape into the model, prices per hour in USD', () => {
    const raw = RawServerSchema.parse(realShape);
    const rates = deriveUsdRates([raw], 'per_day');
    expect(rates['CLORE-Blockchain']).toBeCloseTo(0.03);
    expect(rates.bitcoin).toBeCloseTo(60_000);
    const server = normaliseServer(raw, 'per_day', rates);
    expect(server).toMatchObject({
      id: 6,
      gpus: ['NVIDIA GeForce RTX 4090', 'NVIDIA GeForce RTX 4090'],
      gpuCount: 2,
      gpuModel: '2x NVIDIA GeForce RTX 4090',
      vramGb: 24,
      reliability: 0.985,
      rented: false,
      gigaspot: false,
      allowedCurrencies: ['CLORE-Blockchain', 'bitcoin'],
      mrlHours: 73,
      rating: { average: 4.8, count: 25 },
      specs: { cpu: 'Intel Core i9-11900', ramGb: 62.67, country: 'CZ' },
    });
    expect(server.pricePerDay.onDemand['CLORE-Blockchain']).toBe(48);
    expect(server.usdPerHour.onDemand['CLORE-Blockchain']).toBeCloseTo(0.06);
    expect(server.usdPerHour.onDemand.bitcoin).toBeCloseTo(0.05);
    expect(server.usdPerHour.spot).toBeCloseTo(0.03);
    expect(serverUsdPerHour(server, { currency: 'CLORE-Blockchain', orderType: 'spot', rates })).toBeCloseTo(
      0.03,
    );
    expect(serverUsdPerHour(server, { currency: 'USD-Blockchain', orderType: 'on-demand' })).toBeUndefined();
  });

  it('reads price.usd as per hour under the per_hour setting, and nothing else', () => {
    const hourly = {
      ...realShape,
      price: { ...realShape.price, usd: { on_demand_clore: 0.06, spot: 0.03 } },
    };
    const raw = RawServerSchema.parse(hourly);
    const rates = deriveUsdRates([raw], 'per_hour');
    expect(rates['CLORE-Blockchain']).toBeCloseTo(0.03);
    const server = normaliseServer(raw, 'per_hour', rates);
    expect(server.usdPerHour.onDemand['CLORE-Blockchain']).toBeCloseTo(0.06);
    expect(server.usdPerHour.spot).toBeCloseTo(0.03);
    expect(server.pricePerDay.onDemand['CLORE-Blockchain']).toBe(48);
  });

  it('reads the seeds shape: gpus from the count prefix, reliability as a percentage, no allowed_coins', () => {
    const raw = RawServerSchema.parse({
      id: 12345,
      rented: true,
      price: { on_demand: { 'CLORE-Blockchain': 0.25 }, usd: { on_demand_clore: 0.4, spot: 0.25 } },
      specs: { gpu: '3x NVIDIA GeForce RTX 3090' },
      reliability: 98.5,
    });
    const server = normaliseServer(raw, 'per_day', deriveUsdRates([raw], 'per_day'));
    expect(server.gpus).toEqual([
      'NVIDIA GeForce RTX 3090',
      'NVIDIA GeForce RTX 3090',
      'NVIDIA GeForce RTX 3090',
    ]);
    expect(server.reliability).toBeCloseTo(0.985);
    expect(server.allowedCurrencies).toEqual(['CLORE-Blockchain']);
    expect(server.rented).toBe(true);
  });

  it('refuses a server without an id or price', () => {
    expect(RawServerSchema.safeParse({ price: {} }).success).toBe(false);
    expect(RawServerSchema.safeParse({ id: 1 }).success).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { CURRENCIES, toUsd } from '../currencies';
import { createRng } from '../rng';
import { generateMarketplace } from './generate';

describe('generateMarketplace', () => {
  it('is the same for the same seed and differs for another', () => {
    expect(generateMarketplace(createRng(4), 60)).toEqual(generateMarketplace(createRng(4), 60));
    expect(generateMarketplace(createRng(5), 60)).not.toEqual(generateMarketplace(createRng(4), 60));
  });

  it('looks like the real marketplace and has enough rentable servers for every currency', () => {
    const servers = generateMarketplace(createRng(1), 60);
    expect(new Set(servers.map((s) => s.id)).size).toBe(60);
    const models = new Set(servers.map((s) => s.gpuModel));
    expect(models.size).toBeGreaterThanOrEqual(8);
    const count = (name: string) => servers.filter((s) => s.gpuModel.endsWith(name)).length;
    expect(count('RTX 3090')).toBeGreaterThanOrEqual(3);
    expect(count('RTX 4090')).toBeGreaterThanOrEqual(3);
    expect(servers.some((s) => s.rentedExternally)).toBe(true);
    expect(servers.some((s) => !s.online)).toBe(true);
    expect(servers.some((s) => s.gigaspot)).toBe(true);
    expect(servers.some((s) => s.gpuCount > 1)).toBe(true);
    const rentable = servers.filter(
      (s) => s.online && !s.rentedExternally && !s.gigaspot && s.reliability >= 0.9,
    );
    for (const coin of CURRENCIES) {
      expect(rentable.filter((s) => s.allowedCoins.includes(coin)).length).toBeGreaterThanOrEqual(10);
    }
    const hourlyUsd = servers.map((s) => {
      const coin = s.allowedCoins[0]!;
      return toUsd(s.onDemand[coin]!, coin) / 24;
    });
    expect(hourlyUsd.filter((p) => p >= 0.1 && p <= 3).length).toBeGreaterThanOrEqual(35);
    for (const s of servers) {
      expect(s.reliability).toBeGreaterThanOrEqual(0);
      expect(s.reliability).toBeLessThanOrEqual(1);
      expect(s.mrl).toBeGreaterThanOrEqual(24);
      for (const coin of s.allowedCoins) {
        expect(s.spotMin[coin]!).toBeLessThan(s.onDemand[coin]!);
      }
    }
  });
});

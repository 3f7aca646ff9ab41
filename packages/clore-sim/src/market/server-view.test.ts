import { describe, expect, it } from 'vitest';
import { toUsd } from '../currencies';
import { createRng } from '../rng';
import { generateMarketplace } from './generate';
import { marketplaceServerView } from './server-view';

describe('marketplaceServerView', () => {
  it('price.usd is per day by default and per hour on request, a number for every coin', () => {
    const servers = generateMarketplace(createRng(2), 30);
    const clore = servers.find(
      (s) => s.allowedCoins.includes('CLORE-Blockchain') && !s.allowedCoins.includes('bitcoin'),
    )!;
    const daily = marketplaceServerView(clore, false, 'day').price.usd;
    const hourly = marketplaceServerView(clore, false, 'hour').price.usd;
    expect(daily.on_demand_clore).toBeCloseTo(
      toUsd(clore.onDemand['CLORE-Blockchain']!, 'CLORE-Blockchain'),
      5,
    );
    expect(hourly.on_demand_clore).toBeCloseTo(daily.on_demand_clore / 24, 5);
    // A coin the host does not take shows its reference USD price, never null.
    expect(daily.on_demand_btc).toBeCloseTo(clore.usdPerDay, 5);
    expect(daily.spot).toBeLessThan(daily.on_demand_clore);
  });

  it('shows gigaspot only on GigaSPOT machines and one gpu_array entry per GPU', () => {
    const servers = generateMarketplace(createRng(1), 60);
    for (const s of servers) {
      const view = marketplaceServerView(s, false, 'day');
      expect(view.gpu_array).toHaveLength(s.gpuCount);
      expect(view.specs.gpu).toBe(`${s.gpuCount}x ${s.gpuModel}`);
      expect('gigaspot' in view).toBe(s.gigaspot);
    }
  });
});

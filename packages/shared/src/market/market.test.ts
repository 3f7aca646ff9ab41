import { describe, expect, it } from 'vitest';
import {
  priced,
  testServer as server,
  testSnapshot as snapshot,
  testSpec as spec,
} from '../../test/market-test-kit';
import { editDistance, shortGpuName, suggestGpuModels } from './gpu-names';
import { checkMarketFit } from './market-fit';
import { summariseOffers } from './offers';
import { planOnMarket } from './plan';

const NAMES = [
  'NVIDIA GeForce RTX 3090',
  'NVIDIA GeForce RTX 4090',
  'NVIDIA GeForce RTX 4090 D',
  'NVIDIA GeForce RTX 5090',
  'NVIDIA A100 80GB PCIe',
  'NVIDIA H100 80GB HBM3',
  'Tesla V100-SXM2-16GB',
];

describe('GPU names', () => {
  it('shortens a provider name to the words that name the model, in its own case', () => {
    expect(shortGpuName('NVIDIA GeForce RTX 4090')).toBe('RTX 4090');
    expect(shortGpuName('NVIDIA GeForce RTX 4090 D')).toBe('RTX 4090 D');
    expect(shortGpuName('NVIDIA A100 80GB PCIe')).toBe('A100');
    expect(shortGpuName('Tesla V100-SXM2-16GB')).toBe('V100');
  });

  it('suggests the nearest model names by edit distance, and nothing for a word that names no GPU', () => {
    expect(editDistance('rtx 9999', 'rtx 3090')).toBe(3);
    expect(editDistance('4900', '4090')).toBe(1);
    expect(suggestGpuModels('RTX 4900', NAMES)).toEqual(['RTX 4090', 'RTX 3090', 'RTX 5090']);
    expect(suggestGpuModels('RTX4090', NAMES)).toEqual(['RTX 4090', 'RTX 3090', 'RTX 5090']);
    expect(suggestGpuModels('rtx 4900', NAMES)[0]).toBe('RTX 4090');
    expect(suggestGpuModels('A10', NAMES)).toContain('A100');
    expect(suggestGpuModels('banana split', NAMES)).toEqual([]);
  });
});

describe('summariseOffers', () => {
  const market = snapshot([
    server(1, priced(0.4)),
    server(2, { ...priced(0.3), rented: true }),
    server(3, priced(0.6)),
    server(4, { ...priced(0.2), gigaspot: true }),
    server(5, { ...priced(0.9), gpus: ['NVIDIA GeForce RTX 4090', 'NVIDIA GeForce RTX 4090'] }),
    server(6, { ...priced(0.1), gpus: ['NVIDIA GeForce RTX 3090'], vramGb: 24, online: false }),
    server(7, { ...priced(0.5), allowedCurrencies: ['bitcoin'] }),
  ]);
  const query = { currency: 'CLORE-Blockchain', orderType: 'on-demand' as const };

  it('groups by GPU model and count: free servers, cheapest and median of the free, the cheapest few', () => {
    const groups = summariseOffers(market, query);
    expect(groups.map((g) => [g.gpu, g.gpuCount, g.servers, g.free])).toEqual([
      ['RTX 3090', 1, 1, 0],
      ['RTX 4090', 1, 3, 2],
      ['RTX 4090', 2, 1, 1],
    ]);
    const single = groups[1];
    expect(single).toMatchObject({
      gpuName: 'NVIDIA GeForce RTX 4090',
      vramGb: [24],
      cheapestUsdPerHour: 0.4,
      medianUsdPerHour: 0.5,
      cheapestListedUsdPerHour: 0.3,
    });
    expect(single?.cheapest.map((s) => s.serverId)).toEqual([1, 3]);
    expect(groups[0]?.cheapestUsdPerHour).toBeUndefined();
  });

  it('filters by GPU model (matched as the worker matches) and by price', () => {
    expect(summariseOffers(market, { ...query, gpu: '3090' }).map((g) => g.gpu)).toEqual(['RTX 3090']);
    const cheap = summariseOffers(market, { ...query, maxPricePerHourUsd: 0.45 });
    expect(cheap.map((g) => [g.gpu, g.gpuCount, g.servers])).toEqual([
      ['RTX 3090', 1, 1],
      ['RTX 4090', 1, 2],
    ]);
    expect(summariseOffers(market, { ...query, currency: 'bitcoin' })).toEqual([]);
  });
});

describe('checkMarketFit', () => {
  const market = snapshot([
    server(1, priced(0.4)),
    server(2, { ...priced(0.3), rented: true }),
    server(3, { ...priced(0.9), gpus: ['NVIDIA GeForce RTX 4090', 'NVIDIA GeForce RTX 4090'] }),
    server(4, { ...priced(0.2), gpus: ['NVIDIA GeForce RTX 3090'] }),
  ]);

  it('counts the servers that fit and those free now; all rented still fits (the job waits)', () => {
    expect(checkMarketFit(market, spec())).toEqual({ ok: true, fitting: 3, free: 2, notes: [] });
    const rentedOnly = snapshot([server(2, { rented: true }), server(5, { online: false })]);
    expect(checkMarketFit(rentedOnly, spec())).toMatchObject({ ok: true, fitting: 2, free: 0 });
  });

  it('refuses a model no listed server has, with suggestions; a list with one known model is a note', () => {
    const fit = checkMarketFit(market, spec({ gpu: { model: 'RTX 4900' } }));
    expect(fit.ok).toBe(false);
    const error = fit.ok ? undefined : fit.error;
    expect(error?.code).toBe('GPU_MODEL_UNKNOWN');
    expect(error?.status).toBe(422);
    expect(error?.message).toMatch(/did you mean "RTX 4090"/);
    expect(error?.details).toMatchObject({ models: ['RTX 4900'], suggestions: ['RTX 4090', 'RTX 3090'] });
    const listed = checkMarketFit(market, spec({ gpu: { model: ['RTX 4090', 'RTX 4900'] } }));
    expect(listed).toMatchObject({ ok: true, notes: [expect.stringMatching(/"RTX 4900".*"RTX 4090"/)] });
  });

  it.each([
    [{ maxPricePerHourUsd: 0.25 }, 'price', /the cheapest is \$0\.3000\/h.*server 2/],
    [{ gpu: { model: 'RTX 4090', count: 4 } }, 'gpu_count', /most on one server is 2.*server 3/],
    [{ gpu: { model: 'RTX 4090', minVramGb: 48 } }, 'vram', /the most is 24 GB/],
    [{ minReliability: 0.99 }, 'reliability', /most reliable has 0\.95/],
    [{ currency: 'bitcoin' }, 'currency', /accepts bitcoin: they take CLORE-Blockchain, USD-Blockchain/],
    [{ timeoutSeconds: 30 * 24 * 3_600 }, 'mrl', /longest maximum rental is 72 h/],
  ])(
    'refuses a spec no listed server could ever run (%j: %s), naming the closest offer',
    (override, reason, text) => {
      const fit = checkMarketFit(market, spec(override));
      const error = fit.ok ? undefined : fit.error;
      expect(error?.code).toBe('SPEC_UNSATISFIABLE');
      expect(error?.details).toMatchObject({ reason });
      expect(error?.message).toMatch(text);
    },
  );

  it('accepts against a listing of GigaSPOT servers only, and against one whose prices cannot be read', () => {
    const gigaspot = snapshot([server(1, { gigaspot: true }), server(2, { gigaspot: true })]);
    expect(checkMarketFit(gigaspot, spec())).toMatchObject({ ok: true, fitting: 0 });
    // No USD price listed and no exchange rate for the job's currency: no usable price now.
    const noUsd = { usdPerHour: { onDemand: {} } };
    const unpriced = { ...snapshot([server(1, noUsd), server(2, noUsd)]), usdRates: {} };
    const fit = checkMarketFit(unpriced, spec());
    expect(fit).toMatchObject({ ok: true, fitting: 0 });
    expect(fit.ok && fit.notes.join(' ')).toContain('no usable price');
  });

  it('checks nothing against an empty listing', () => {
    expect(checkMarketFit(snapshot([]), spec({ gpu: { model: 'RTX 9999' } }))).toMatchObject({ ok: true });
  });
});

describe('planOnMarket', () => {
  const options = { firstCheckSeconds: 3, listingAgeMs: 1_000, maxListingAgeMs: 120_000 };

  it("lists the servers selection would try first and estimates the run on the first, with the provider's fee", () => {
    const market = snapshot([
      server(1, priced(0.4)),
      server(2, priced(0.3)),
      server(3, { ...priced(0.1), rented: true }),
    ]);
    const plan = planOnMarket(market, spec({ timeoutSeconds: 1_800 }), { ...options, creationFeeUsd: 0.02 });
    expect(plan.servers.map((s) => [s.serverId, s.usdPerHour, s.creationFeeUsd, s.creationFeeKnown])).toEqual(
      [
        [2, 0.3, 0.02, true],
        [1, 0.4, 0.02, true],
      ],
    );
    expect(plan.estimate).toMatchObject({ serverId: 2, free: true, runSeconds: 1_800, budgetCovers: true });
    expect(plan.estimate?.runUsd).toBeCloseTo(0.15);
    expect(plan.estimate?.totalUsd).toBeCloseTo(0.17);
    expect(plan.notes).toEqual([]);
  });

  it('says when the budget does not cover timeoutSeconds, and for how long it would last', () => {
    const plan = planOnMarket(
      snapshot([server(1, priced(0.5))]),
      spec({ budgetUsd: 0.5, timeoutSeconds: 7_200 }),
      options,
    );
    // The fee is the worker's estimate: 1 % of a day's price = $0.12.
    expect(plan.estimate).toMatchObject({ creationFeeKnown: false, budgetCovers: false });
    expect(plan.estimate?.creationFeeUsd).toBeCloseTo(0.12);
    expect(plan.estimate?.budgetLastsSeconds).toBe(2_736);
    expect(plan.notes.join('\n')).toMatch(/not known here[\s\S]*after about 46 min/);
  });

  it('estimates on the cheapest server that fits when none is free, and says the job would wait', () => {
    const plan = planOnMarket(snapshot([server(1, { ...priced(0.4), rented: true })]), spec(), options);
    expect(plan.servers).toEqual([]);
    expect(plan.rejected).toEqual({ rented: 1 });
    expect(plan.estimate).toMatchObject({ serverId: 1, free: false });
    expect(plan.notes[0]).toMatch(/wait for one, up to provisionTimeoutSeconds/);
  });
});

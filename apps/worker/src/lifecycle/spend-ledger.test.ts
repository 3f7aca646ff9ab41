import { describe, expect, it } from 'vitest';
import { SpendLedger } from './spend-ledger';

describe('SpendLedger', () => {
  it('projects the last verified figure at the price between answers', () => {
    const ledger = new SpendLedger({ spentUsd: 0.1, sinceMs: 0, usdPerHour: 3.6 });
    expect(ledger.projectedUsd(0)).toBeCloseTo(0.1);
    // $3.6/h = $0.001/s: 10 s unverified adds $0.01.
    expect(ledger.projectedUsd(10_000)).toBeCloseTo(0.11);
    expect(ledger.unverifiedMs(10_000)).toBe(10_000);
    ledger.verify(0.2, 10_000, 10_000);
    expect(ledger.projectedUsd(10_000)).toBeCloseTo(0.2);
    expect(ledger.unverifiedMs(12_000)).toBe(2_000);
  });

  it('uses the billing rate observed between answers when it beats the price', () => {
    const ledger = new SpendLedger({ spentUsd: 0, sinceMs: 0, usdPerHour: 0.36 });
    ledger.verify(0.1, 1_000, 1_000);
    ledger.verify(0.2, 2_000, 2_000); // $0.1 per second = $360/h
    expect(ledger.usdPerHour).toBeCloseTo(360);
    expect(ledger.projectedUsd(3_000)).toBeCloseTo(0.3);
  });

  it('never lowers the verified figure nor the rate', () => {
    const ledger = new SpendLedger({ spentUsd: 0.5, sinceMs: 0, usdPerHour: 1 });
    ledger.verify(0.4, 1_000, 1_000);
    expect(ledger.verifiedUsd).toBe(0.5);
    ledger.notePrice(2);
    ledger.notePrice(0.5);
    expect(ledger.usdPerHour).toBe(2);
  });
});

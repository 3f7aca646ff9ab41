import { describe, expect, it } from 'vitest';
import { testOrder } from '../../test/support/orders';
import { checkBudget, finalCostUsd, verifiedCostUsd } from './budget';

describe('checkBudget', () => {
  it('stops when spent plus what accrues until the next check (with margin) would reach the budget', () => {
    // $3.6/h = $0.001/s; next check in 10 s with margin 3 → $0.03 ahead.
    const base = { budgetUsd: 1, spentBeforeUsd: 0.5, usdPerHour: 3.6, secondsToNextCheck: 10 };
    expect(checkBudget({ ...base, spentNowUsd: 0.46 })).toMatchObject({ stop: false });
    const verdict = checkBudget({ ...base, spentNowUsd: 0.475 });
    expect(verdict.stop).toBe(true);
    expect(verdict.spentUsd).toBeCloseTo(0.975);
    expect(verdict.projectedUsd).toBeCloseTo(1.005);
    expect(checkBudget({ ...base, spentNowUsd: 0.46, margin: 5 }).stop).toBe(true);
  });
});

describe('verifiedCostUsd and finalCostUsd (clore-api.md Part A 11)', () => {
  // $0.02/h at $0.02 a CLORE
  const order = testOrder({ currency: 'CLORE-Blockchain', pricePerDay: 24, creationFee: 0.12, spend: 10 });
  const rates = { 'CLORE-Blockchain': 0.02 };
  const clock = { usdPerHour: 0.02, startedAtMs: 0, nowMs: 3_600_000 };

  it("is the provider's spend plus the creation fee when the spend leads", () => {
    expect(verifiedCostUsd(order, rates, clock)).toBeCloseTo(10.12 * 0.02);
  });

  it('is price x elapsed plus the creation fee when the spend lags or is absent', () => {
    const { spend: _spend, ...noSpend } = order;
    // 100 hours at $0.02/h = $2, + the fee $0.0024.
    const later = { ...clock, nowMs: 100 * 3_600_000 };
    expect(verifiedCostUsd(noSpend, rates, later)).toBeCloseTo(2 + 0.12 * 0.02);
    expect(verifiedCostUsd(order, rates, later)).toBeCloseTo(2 + 0.12 * 0.02);
  });

  it('uses the higher of the selected price and the booked one', () => {
    expect(verifiedCostUsd({ ...order, spend: 0 }, rates, { ...clock, usdPerHour: 0.5 })).toBeCloseTo(
      0.5 + 0.12 * 0.02,
    );
  });

  it('cannot verify a cost without the rate of the order currency', () => {
    expect(verifiedCostUsd(order, {}, clock)).toBeUndefined();
  });

  it("ends on the provider's final bill, spend + fee; without one, never below what was known", () => {
    expect(finalCostUsd(order, rates, { ...clock, previousUsd: 5 })).toBeCloseTo(10.12 * 0.02);
    const { spend: _spend, ...noSpend } = order;
    expect(finalCostUsd(noSpend, {}, { ...clock, previousUsd: 0.5 })).toBe(0.5);
  });
});

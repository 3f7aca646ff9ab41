import type { Order } from '@clore-batch/clore';
import { describe, expect, it } from 'vitest';
import { checkBudget, orderCostUsd } from './budget';

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

describe('orderCostUsd', () => {
  const order: Order = {
    id: 1,
    serverId: 2,
    currency: 'CLORE-Blockchain',
    pricePerDay: 24,
    creationFee: 0.12,
    spend: 10,
    expired: false,
    active: true,
    online: true,
    containerUp: true,
    deployed: true,
    ready: true,
    spot: false,
  };
  const fallback = { usdPerHour: 0.02, startedAtMs: 0, nowMs: 3_600_000, previousUsd: 0 };

  it("converts the provider's spend plus the creation fee to USD", () => {
    expect(orderCostUsd(order, { 'CLORE-Blockchain': 0.02 }, fallback)).toBeCloseTo(10.12 * 0.02);
  });

  it('estimates from the hourly price and age when the provider gives no usable figure', () => {
    const { spend: _spend, ...noSpend } = order;
    expect(orderCostUsd(noSpend, { 'CLORE-Blockchain': 0.02 }, fallback)).toBeCloseTo(0.02);
    expect(orderCostUsd(order, {}, { ...fallback, previousUsd: 0.5 })).toBe(0.5);
  });
});

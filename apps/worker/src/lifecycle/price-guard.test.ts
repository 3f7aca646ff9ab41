import { describe, expect, it } from 'vitest';
import { testOrder } from '../../test/support/orders';
import { bookedAboveCap } from './price-guard';

// 240 CLORE/day at $0.01 = $2.4/day = $0.1/h
const order = testOrder({ currency: 'CLORE-Blockchain', pricePerDay: 240 });

describe('bookedAboveCap', () => {
  const rates = { 'CLORE-Blockchain': 0.01 };
  it('flags an order booked above the cap, in USD per hour with the marketplace rates', () => {
    expect(bookedAboveCap(order, rates, 0.05)).toBeCloseTo(0.1);
  });
  it('accepts an order booked at or under the cap (rounding slack included)', () => {
    expect(bookedAboveCap(order, rates, 0.1)).toBeUndefined();
    expect(bookedAboveCap(order, rates, 0.2)).toBeUndefined();
  });
  it('says nothing when the currency has no rate', () => {
    expect(bookedAboveCap(order, {}, 0.05)).toBeUndefined();
  });
});

import type { Order, UsdRates } from '@clore-batch/clore';
import { bookedUsdPerHour } from './budget';

/** Rounding slack between the listing's USD quote and the booked price converted with the rates. */
const SLACK = 1e-6;

/**
 * Part A 14: the booked `price` of an order, in USD per hour (the same rates and unit as
 * selection), against the job's cap. Returns the booked rate when it is above the cap, undefined
 * when it is within it or cannot be converted (the spend check then treats it as unverified).
 */
export function bookedAboveCap(order: Order, rates: UsdRates, capUsdPerHour: number): number | undefined {
  const booked = bookedUsdPerHour(order, rates);
  return booked !== undefined && booked > capUsdPerHour * (1 + SLACK) + 1e-9 ? booked : undefined;
}

/**
 * The unit of the marketplace's `price.usd` quotes is a setting (CLORE_PRICE_UNIT, clore-api.md
 * Part A 5, not certain): a wrong one makes every USD figure 24 times off, consistently, so prices,
 * budgets and spend would all agree with each other and nothing else would notice. A USD-Blockchain
 * unit is worth one dollar: a rate derived from the quotes that says otherwise means the setting is
 * wrong, and nothing is rented (docs/decisions/0117).
 */
export function priceUnitProblem(rates: Readonly<Record<string, number>>): string | undefined {
  const usd = rates['USD-Blockchain'];
  if (usd === undefined || (usd > 0.5 && usd < 2)) {
    return undefined;
  }
  return `the marketplace's USD quotes put one USD-Blockchain at $${usd.toPrecision(3)}: CLORE_PRICE_UNIT (the unit of price.usd) looks wrong, so every USD price, budget and spend would be off by the same factor`;
}

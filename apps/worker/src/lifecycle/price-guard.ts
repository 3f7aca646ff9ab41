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

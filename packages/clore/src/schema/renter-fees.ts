import { z } from 'zod';
import { CurrencyAmounts, Num } from './primitives';

/** A null or unreadable part is read as absent: the fees are a hint, never a reason to fail. */
function lenient<T extends z.ZodType>(schema: T) {
  return z.unknown().transform((value) => {
    const parsed = schema.safeParse(value);
    return parsed.success ? (parsed.data as z.output<T>) : undefined;
  });
}

const PerType = z.object({ on_demand: lenient(CurrencyAmounts), spot: lenient(CurrencyAmounts) });
const BasePerType = z.object({
  on_demand: lenient(z.object({ base: lenient(CurrencyAmounts) })),
  spot: lenient(z.object({ base: lenient(CurrencyAmounts) })),
});

/**
 * `GET /v1/renter_fees` (clore-api.md Part B 11):
 * `{renter_fees:{on_demand:{base:{cur:n}},spot:{base:{cur:n}}}, poh_config, creation_fees:{on_demand:{cur:n},spot:{cur:n}}, poh_balance}`.
 */
export const RenterFeesResponseSchema = z.object({
  renter_fees: lenient(BasePerType),
  creation_fees: lenient(PerType),
  poh_balance: lenient(Num),
});

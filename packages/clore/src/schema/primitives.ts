import { z } from 'zod';

/** A number, also when sent as a numeric string ("12", "0.5"). */
export const Num = z.union([
  z.number().finite(),
  z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/)
    .transform(Number),
]);

/** An integer id, also when sent as a string ("542567"). */
export const Id = z.union([z.number().int(), z.string().trim().regex(/^\d+$/).transform(Number)]);

/** A boolean, also when sent as 0/1 or "true"/"false". */
export const Bool = z.union([
  z.boolean(),
  z.literal(0).transform(() => false),
  z.literal(1).transform(() => true),
  z.enum(['true', 'false']).transform((v) => v === 'true'),
]);

/** `{ currency: amount }`; null and unreadable amounts are dropped, not fatal. */
export const CurrencyAmounts = z.record(z.string(), z.unknown()).transform((record) => {
  const out: Record<string, number> = {};
  for (const [currency, value] of Object.entries(record)) {
    const parsed = Num.safeParse(value);
    if (parsed.success) {
      out[currency] = parsed.data;
    }
  }
  return out;
});

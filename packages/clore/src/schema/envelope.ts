import { z } from 'zod';
import { Num } from './primitives';

/**
 * What every answer has: a numeric `code`, sometimes an `error` string, and for set_spot_price
 * errors `time_to_lowering` / `max_step`. Extra fields are kept for the endpoint schemas.
 */
export const EnvelopeSchema = z.looseObject({
  code: z.number().int(),
  error: z.string().optional(),
  time_to_lowering: Num.optional(),
  max_step: Num.optional(),
});

export type Envelope = z.infer<typeof EnvelopeSchema>;

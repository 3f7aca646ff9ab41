import { CURRENCIES, ORDER_TYPES, SPEC_LIMITS } from '@clore-batch/shared';
import { z } from 'zod';

/** `GET /v1/offers` query and answer (product.md "REST API"; shared market/offers.ts builds it). */
export const OffersQuerySchema = z.strictObject({
  gpu: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(SPEC_LIMITS.gpuModelMaxLength, `must be at most ${SPEC_LIMITS.gpuModelMaxLength} characters`)
    .optional()
    .describe('only this GPU model, matched as a spec\'s gpu.model is ("RTX 4090")'),
  maxPricePerHourUsd: z.coerce
    .number()
    .positive('must be greater than 0')
    .max(SPEC_LIMITS.maxPricePerHourUsdMax)
    .optional()
    .describe('only servers at most this price, USD per hour'),
  currency: z
    .enum(CURRENCIES, { error: `must be one of ${CURRENCIES.join(', ')}` })
    .optional()
    .describe('payment currency (default CLORE_CURRENCY): only servers that take it, priced in it'),
  orderType: z
    .enum(ORDER_TYPES, { error: "must be 'on-demand' or 'spot'" })
    .optional()
    .describe('on-demand (default) or spot (priced at the minimum bid)'),
});

const OfferServerSchema = z.object({
  serverId: z.number(),
  usdPerHour: z.number(),
  vramGb: z.number().optional(),
  reliability: z.number(),
  mrlHours: z.number().optional().describe('maximum rental length, hours'),
  country: z.string().optional(),
});

const OfferGroupSchema = z.object({
  gpu: z.string().describe('the model as a spec names it, e.g. "RTX 4090"'),
  gpuName: z.string().describe('the provider\'s name, e.g. "NVIDIA GeForce RTX 4090"'),
  gpuCount: z.number(),
  vramGb: z.array(z.number()).describe('memory per GPU (GB) of the servers in the group'),
  servers: z.number().describe('listed servers that take the currency and quote a price (GigaSPOT left out)'),
  free: z.number().describe('of those, online and not rented'),
  cheapestUsdPerHour: z.number().optional().describe('cheapest free server; absent when none is free'),
  medianUsdPerHour: z.number().optional().describe('median over the free servers'),
  cheapestListedUsdPerHour: z.number().describe('cheapest listed server, free or not'),
  cheapest: z.array(OfferServerSchema).describe('the cheapest free servers, cheapest first'),
});

export const OffersSchema = z
  .object({
    at: z.string().describe('when the fleet leader listed the marketplace (ISO)'),
    ageSeconds: z.number(),
    stale: z
      .boolean()
      .describe('older than MARKETPLACE_MAX_AGE_SECONDS: the worker rents nothing on it until a fresh one'),
    currency: z.enum(CURRENCIES),
    orderType: z.enum(ORDER_TYPES),
    offers: z.array(OfferGroupSchema),
  })
  .meta({ id: 'Offers' });

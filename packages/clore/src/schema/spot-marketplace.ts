import { z } from 'zod';
import { Bool, CurrencyAmounts, Id, Num } from './primitives';

export const RawSpotOfferSchema = z.object({
  offer_id: Id,
  bid: Num,
  active: Bool.optional(),
  my: Bool.optional(),
  currency: z.string().optional(),
});

export const SpotMarketplaceResponseSchema = z.object({
  exists: Bool.optional(),
  market: z
    .object({
      offers: z.array(RawSpotOfferSchema).optional(),
      server: z
        .looseObject({
          min_pricing: CurrencyAmounts.optional(),
          mrl: Num.optional(),
          online: Bool.optional(),
          visibility: z.string().optional(),
        })
        .optional(),
      currency_rates_in_usd: CurrencyAmounts.optional(),
    })
    .optional(),
});

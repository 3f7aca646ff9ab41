import { z } from 'zod';
import { Bool, CurrencyAmounts, Id, Num } from './primitives';

export const RawSpecsSchema = z.looseObject({
  cpu: z.string().optional(),
  cpus: z.union([z.string(), z.number()]).optional(),
  ram: Num.optional(),
  disk: z.string().optional(),
  disk_speed: Num.optional(),
  gpu: z.string().optional(),
  gpuram: Num.optional(),
  net: z.looseObject({ up: Num.optional(), down: Num.optional(), cc: z.string().optional() }).optional(),
});

/** `price.usd`: USD equivalents, in the API's price unit (per day by default; Part A §5). */
export const RawUsdPriceSchema = z
  .record(z.string(), z.unknown())
  .transform((record) => CurrencyAmounts.parse(record));

export const RawServerSchema = z.object({
  id: Id,
  owner: Id.optional(),
  mrl: Num.optional(),
  price: z.object({
    on_demand: CurrencyAmounts.optional(),
    spot: CurrencyAmounts.optional(),
    usd: RawUsdPriceSchema.optional(),
  }),
  rented: Bool.optional(),
  online: Bool.optional(),
  specs: RawSpecsSchema.optional(),
  reliability: Num.optional(),
  allowed_coins: z.array(z.string()).optional(),
  rating: z.looseObject({ avg: Num.optional(), cnt: Num.optional() }).optional(),
  gpu_array: z.array(z.string()).optional(),
  cuda_version: z.union([z.string(), z.number()]).optional(),
  gigaspot: Bool.optional(),
});

export type RawServer = z.infer<typeof RawServerSchema>;

/** Servers are parsed one by one (a malformed one is skipped, not fatal). */
export const MarketplaceResponseSchema = z.object({
  servers: z.array(z.unknown()),
  my_servers: z.array(z.unknown()).optional(),
});

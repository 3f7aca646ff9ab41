import { z } from 'zod';

/**
 * The offers (`GET /v1/offers`) and a dry run's plan (`POST /v1/jobs?dryRun=true`) as the CLI reads
 * them: loose, like api-job.ts, checking the fields it prints and passing the rest through.
 */
const OfferServerSchema = z.looseObject({
  serverId: z.number(),
  usdPerHour: z.number(),
  vramGb: z.number().optional(),
  reliability: z.number().optional(),
});

const OfferGroupSchema = z.looseObject({
  gpu: z.string(),
  gpuCount: z.number(),
  vramGb: z.array(z.number()).optional(),
  servers: z.number(),
  free: z.number(),
  cheapestUsdPerHour: z.number().optional(),
  medianUsdPerHour: z.number().optional(),
  cheapestListedUsdPerHour: z.number().optional(),
  cheapest: z.array(OfferServerSchema).optional(),
});

export const OffersSchema = z.looseObject({
  at: z.string(),
  ageSeconds: z.number(),
  stale: z.boolean().optional(),
  currency: z.string(),
  orderType: z.string(),
  offers: z.array(OfferGroupSchema),
});
export type Offers = z.infer<typeof OffersSchema>;
export type OfferGroup = z.infer<typeof OfferGroupSchema>;

const PlannedServerSchema = z.looseObject({
  serverId: z.number(),
  gpu: z.string(),
  gpuCount: z.number(),
  usdPerHour: z.number(),
  creationFeeUsd: z.number(),
  creationFeeKnown: z.boolean(),
  reliability: z.number().optional(),
  country: z.string().optional(),
});

export const JobPlanSchema = z.looseObject({
  dryRun: z.literal(true),
  provisionTimeoutSeconds: z.number().optional(),
  marketplace: z.looseObject({ known: z.boolean(), ageSeconds: z.number().optional() }),
  servers: z.array(PlannedServerSchema),
  estimate: z
    .looseObject({
      serverId: z.number(),
      free: z.boolean(),
      usdPerHour: z.number(),
      creationFeeUsd: z.number(),
      creationFeeKnown: z.boolean(),
      runSeconds: z.number(),
      runUsd: z.number(),
      totalUsd: z.number(),
      budgetUsd: z.number(),
      budgetCovers: z.boolean(),
      budgetLastsSeconds: z.number().optional(),
    })
    .optional(),
  notes: z.array(z.string()),
});
export type JobPlan = z.infer<typeof JobPlanSchema>;

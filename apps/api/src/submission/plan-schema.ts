import { StoredJobSpecSchema } from '@clore-batch/shared';
import { z } from 'zod';

/** The answer of `POST /v1/jobs?dryRun=true` (plan-job.ts): nothing is stored or ordered. */
const PlannedServerSchema = z.object({
  serverId: z.number(),
  gpu: z.string().describe('the GPU as a spec names it, e.g. "RTX 4090"'),
  gpuCount: z.number(),
  vramGb: z.number().optional(),
  reliability: z.number(),
  usdPerHour: z.number(),
  creationFeeUsd: z.number(),
  creationFeeKnown: z.boolean().describe("false: estimated at 1 % of a day's price, as the worker does"),
  country: z.string().optional(),
});

const CostEstimateSchema = z.object({
  serverId: z.number(),
  free: z.boolean().describe('false: every server that fits is rented now; the estimate is for the cheapest'),
  usdPerHour: z.number(),
  creationFeeUsd: z.number(),
  creationFeeKnown: z.boolean(),
  runSeconds: z.number().describe('timeoutSeconds'),
  runUsd: z.number(),
  totalUsd: z.number().describe('creation fee + run'),
  budgetUsd: z.number(),
  budgetCovers: z.boolean(),
  budgetLastsSeconds: z
    .number()
    .optional()
    .describe('when it does not cover: about how long the command could run'),
});

export const JobPlanSchema = z
  .object({
    dryRun: z.literal(true),
    spec: StoredJobSpecSchema,
    provisionTimeoutSeconds: z.number().describe("the spec's, else PROVISION_TIMEOUT_SECONDS"),
    marketplace: z.object({
      known: z.boolean(),
      at: z.string().optional().describe('when the leader listed it (ISO)'),
      ageSeconds: z.number().optional(),
    }),
    servers: z.array(PlannedServerSchema).describe('the servers the worker would try first, cheapest first'),
    rejected: z.record(z.string(), z.number()).describe('how many servers each constraint left out'),
    estimate: CostEstimateSchema.optional(),
    notes: z.array(z.string()),
  })
  .meta({ id: 'JobPlan' });

export type JobPlan = z.infer<typeof JobPlanSchema>;

import { JOB_STATES, type JobState } from '@clore-batch/shared';
import { z } from 'zod';

/**
 * The job as the CLI reads it from the API (product.md "REST API"). Loose on purpose: the CLI
 * checks the fields it uses and passes everything else through untouched (`--json` prints the
 * API's own object), so a newer API with more fields never breaks an older CLI.
 */
const ApiAttemptSchema = z.looseObject({
  n: z.number().optional(),
  serverId: z.number().optional(),
  orderId: z.number().optional(),
  gpu: z.string().optional(),
  gpuCount: z.number().optional(),
  pricePerHourUsd: z.number().optional(),
  spentUsd: z.number().optional(),
  startedAt: z.string().optional(),
  readyAt: z.string().optional(),
  endedAt: z.string().optional(),
  endReason: z.string().optional(),
});

const ApiEventSchema = z.looseObject({
  at: z.string(),
  type: z.string().optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  reason: z.string().optional(),
  exitCode: z.number().nullable().optional(),
  message: z.string().optional(),
});

export const ApiJobSchema = z.looseObject({
  id: z.string(),
  name: z.string().optional(),
  state: z.enum(JOB_STATES as [JobState, ...JobState[]]),
  reason: z.string().optional(),
  exitCode: z.number().nullable().optional(),
  message: z.string().optional(),
  costUsd: z.number().optional(),
  attempts: z.array(ApiAttemptSchema).optional(),
  events: z.array(ApiEventSchema).optional(),
  outputs: z.array(z.looseObject({ path: z.string(), size: z.number().optional() })).optional(),
  cancelRequestedAt: z.string().optional(),
  createdAt: z.string().optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  spec: z.looseObject({}).optional(),
});

export type ApiJob = z.infer<typeof ApiJobSchema>;
export type ApiAttempt = z.infer<typeof ApiAttemptSchema>;
export type ApiEvent = z.infer<typeof ApiEventSchema>;

export const OutputEntrySchema = z.looseObject({
  path: z.string(),
  size: z.number().optional(),
  url: z.string().optional(),
});
export type OutputEntry = z.infer<typeof OutputEntrySchema>;

import { z } from 'zod';

/** A sweep as the CLI reads it (GET /v1/sweeps/:id); loose like ApiJobSchema. */
export const ApiSweepSchema = z.looseObject({
  id: z.string(),
  name: z.string().optional(),
  total: z.number(),
  counts: z.record(z.string(), z.number()),
  finished: z.number(),
  done: z.boolean(),
  costUsd: z.number(),
  jobIds: z.array(z.string()),
});
export type ApiSweep = z.infer<typeof ApiSweepSchema>;

export const isSweepRef = (id: string): boolean => id.startsWith('swp_');

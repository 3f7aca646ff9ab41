import { z } from 'zod';

/**
 * A sweep (docs/decisions/0136): jobs made by one POST /v1/sweeps, one per point of a count or a
 * matrix. The record is written once, with its jobs; their states live in the job records.
 */
export const SweepRecordSchema = z.object({
  id: z.string(),
  /** The API token name that submitted the sweep (and owns its jobs). */
  owner: z.string(),
  name: z.string().optional(),
  createdAt: z.string().min(1),
  /** The sweep's jobs, by their `sweepIndex` (0-based). */
  jobIds: z.array(z.string()),
});
export type SweepRecord = z.infer<typeof SweepRecordSchema>;

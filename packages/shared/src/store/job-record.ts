import { z } from 'zod';
import { CURRENCIES } from '../config/currencies';
import { StoredJobSpecSchema } from '../spec/job-spec';
import { FAILURE_REASONS } from '../state/failure-reason';
import { JobState } from '../state/job-state';
import { JOB_EVENTS } from '../state/transitions';

/**
 * The job record: what the store keeps for a job and (through `toPublicJob`) what the API returns.
 * Times are ISO-8601 strings. `version` increases by one on every write (compare-and-set).
 */
const Iso = z.string().min(1);
const Usd = z.number().min(0);

/** Why an attempt ended: a failure reason, or `completed` / `cancelled`. */
export const ATTEMPT_END_REASONS = [...FAILURE_REASONS, 'completed', 'cancelled'] as const;
export type AttemptEndReason = (typeof ATTEMPT_END_REASONS)[number];

const publicAttemptFields = {
  /** 1-based attempt number. */
  n: z.number().int().min(1),
  serverId: z.number().int(),
  orderId: z.number().int().optional(),
  /** The GPU model the server has (as the provider names it). */
  gpu: z.string(),
  gpuCount: z.number().int().min(1).optional(),
  pricePerHourUsd: Usd,
  currency: z.enum(CURRENCIES),
  startedAt: Iso,
  /** When the server ran and answered SSH. */
  readyAt: Iso.optional(),
  endedAt: Iso.optional(),
  /** What the provider billed for this attempt so far, in USD. */
  spentUsd: Usd,
  endReason: z.enum(ATTEMPT_END_REASONS).optional(),
};

/** Fields only the worker uses to resume an attempt; `toPublicJob` drops them. */
const privateAttemptFields = {
  host: z.string().optional(),
  sshPort: z.number().int().min(1).max(65_535).optional(),
  hostKey: z.string().optional(),
  remoteDir: z.string().optional(),
  /** How far the worker has read the command's remote output (bytes); it resumes from the log cursor (0130). */
  logOffset: z.number().int().min(0).optional(),
};
const PRIVATE_ATTEMPT_KEYS = Object.keys(privateAttemptFields) as Array<keyof typeof privateAttemptFields>;

export const AttemptSchema = z.object({ ...publicAttemptFields, ...privateAttemptFields });
export type Attempt = z.infer<typeof AttemptSchema>;
export const PublicAttemptSchema = z.object(publicAttemptFields);
export type PublicAttempt = z.infer<typeof PublicAttemptSchema>;

/** One entry of the job's history: a state change, or information (a message). */
export const JobHistoryEventSchema = z.object({
  at: Iso,
  type: z.enum(['state', 'info']),
  from: z.enum(JobState).optional(),
  to: z.enum(JobState).optional(),
  event: z.enum(JOB_EVENTS).optional(),
  reason: z.enum(FAILURE_REASONS).optional(),
  exitCode: z.number().int().nullable().optional(),
  message: z.string(),
});
export type JobHistoryEvent = z.infer<typeof JobHistoryEventSchema>;

export const OutputFileSchema = z.object({ path: z.string(), size: z.number().int().min(0) });
export type OutputFile = z.infer<typeof OutputFileSchema>;

export const WebhookDeliverySchema = z.object({
  at: Iso,
  attempt: z.number().int().min(1),
  status: z.number().int().optional(),
  error: z.string().optional(),
});
export type WebhookDelivery = z.infer<typeof WebhookDeliverySchema>;

/**
 * An order made for the job that no attempt holds: a create_order whose answer was lost made it
 * after the attempt had moved on, and the reaper cancelled it (clore-api.md Part A 11: it is billed
 * all the same, so the job's cost counts it; docs/decisions/0123).
 */
export const StrayOrderSchema = z.object({
  orderId: z.number().int(),
  serverId: z.number().int(),
  /** The attempt whose create made it. */
  attempt: z.number().int().min(1),
  /** The provider's final bill for it (spend + creation fee), in USD. */
  costUsd: Usd,
  /** When it was counted. */
  at: Iso,
});
export type StrayOrder = z.infer<typeof StrayOrderSchema>;

const recordFields = {
  id: z.string(),
  name: z.string().optional(),
  /** The API token name that submitted the job. */
  owner: z.string(),
  spec: StoredJobSpecSchema,
  state: z.enum(JobState),
  /** Set when the job failed. */
  reason: z.enum(FAILURE_REASONS).optional(),
  /** The command's exit code once it exited (`null`: it ended without one, e.g. killed). */
  exitCode: z.number().int().nullable().optional(),
  /** The latest human-readable summary (the last state event's message). */
  message: z.string().optional(),
  /** Sum of the attempts' `spentUsd` and the stray orders' `costUsd` (kept by the store). */
  costUsd: Usd,
  /** Orders made for the job that no attempt holds (reaped after a lost create_order), with their bill. */
  strayOrders: z.array(StrayOrderSchema).optional(),
  events: z.array(JobHistoryEventSchema),
  outputs: z.array(OutputFileSchema),
  /** Listed outputs (`spec.outputs`) that did not exist on the server when they were collected. */
  outputsMissing: z.array(z.string()).optional(),
  cancelRequestedAt: Iso.optional(),
  webhookDeliveries: z.array(WebhookDeliverySchema),
  createdAt: Iso,
  updatedAt: Iso,
  /** When the job first left `queued`. */
  startedAt: Iso.optional(),
  /** When the job reached a terminal state. */
  finishedAt: Iso.optional(),
  version: z.number().int().min(1),
  /** The sweep the job was made by (POST /v1/sweeps) and its 0-based point in it (docs/decisions/0136). */
  sweepId: z.string().optional(),
  sweepIndex: z.number().int().min(0).optional(),
};

export const JobRecordSchema = z.object({
  ...recordFields,
  attempts: z.array(AttemptSchema),
  /**
   * Retryable provisioning failures before an attempt was recorded (the store's `provisionFailed`);
   * the retry policy reads it (state/retry-policy.ts). Worker-only: `toPublicJob` drops it.
   */
  provisionFailures: z.number().int().min(1).optional(),
});
export type JobRecord = z.infer<typeof JobRecordSchema>;

/** The job as the API returns it (OpenAPI: `z.toJSONSchema(PublicJobSchema, { io: 'output' })`). */
export const PublicJobSchema = z.object({ ...recordFields, attempts: z.array(PublicAttemptSchema) });
export type PublicJob = z.infer<typeof PublicJobSchema>;

/** The job without worker-private fields (server address, host key, remote dir, log offset, provisionFailures). */
export function toPublicJob(job: JobRecord): PublicJob {
  const { provisionFailures, ...rest } = job;
  return {
    ...rest,
    attempts: job.attempts.map((attempt) => {
      const copy: Record<string, unknown> = { ...attempt };
      for (const key of PRIVATE_ATTEMPT_KEYS) {
        delete copy[key];
      }
      return copy as PublicAttempt;
    }),
  };
}

/** The few fields a live follower needs with each notification. */
export interface JobSummary {
  id: string;
  state: JobRecord['state'];
  version: number;
  reason?: JobRecord['reason'];
  exitCode?: number | null;
  costUsd: number;
  cancelRequestedAt?: string;
}

export function jobSummary(job: JobRecord): JobSummary {
  const summary: JobSummary = { id: job.id, state: job.state, version: job.version, costUsd: job.costUsd };
  if (job.reason !== undefined) {
    summary.reason = job.reason;
  }
  if (job.exitCode !== undefined) {
    summary.exitCode = job.exitCode;
  }
  if (job.cancelRequestedAt !== undefined) {
    summary.cancelRequestedAt = job.cancelRequestedAt;
  }
  return summary;
}

import {
  isJobId,
  isSweepId,
  JobSpecSchema,
  JobState,
  LIST_LIMIT_MAX,
  OutputFileSchema,
  PublicJobSchema,
} from '@clore-batch/shared';
import { z } from 'zod';

/** Response and parameter schemas of the REST API (OpenAPI is generated from these and the shared ones). */
export const ErrorBodySchema = z
  .object({
    code: z.string().describe('stable error code (docs/errors.md)'),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'Error' });

export const JobIdParamsSchema = z.object({
  id: z.string().refine(isJobId, 'is not a job id'),
});

/** Loose: the other headers pass through untouched. */
export const JobSubmitHeadersSchema = z.looseObject({
  'idempotency-key': z
    .string()
    .optional()
    .describe('1-200 printable ASCII characters; the same key and body return the same job'),
});

export const JobListQuerySchema = z.strictObject({
  state: z.enum(JobState).optional(),
  limit: z.coerce
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(LIST_LIMIT_MAX, `must be at most ${LIST_LIMIT_MAX}`)
    .default(50),
  cursor: z.string().min(1).max(200).optional(),
  owner: z.string().min(1).max(64).optional().describe('admin tokens only: jobs of this token name'),
  idempotencyKey: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('only the job submitted with this Idempotency-Key (by the caller, or by `owner`): 0 or 1 job'),
  sweepId: z
    .string()
    .refine(isSweepId, 'is not a sweep id')
    .optional()
    .describe('only the jobs of this sweep, in index order (`state` filters each page)'),
});

export const JobSubmitQuerySchema = z.strictObject({
  dryRun: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .describe('true: answer the plan (200 JobPlan); nothing is stored, queued or ordered'),
});

export const JobPageSchema = z
  .object({
    jobs: z.array(PublicJobSchema),
    nextCursor: z.string().optional().describe('pass as `cursor` for the next page; absent on the last'),
  })
  .meta({ id: 'JobPage' });

export const PublicJob = PublicJobSchema.meta({ id: 'Job' });

/** The shared job spec, named in the OpenAPI components. */
export const JobSpecBody = JobSpecSchema.meta({ id: 'JobSpec' });

export const OutputListSchema = z
  .object({
    jobId: z.string(),
    outputs: z.array(
      OutputFileSchema.extend({ url: z.string().describe('download path, relative to the API root') }),
    ),
  })
  .meta({ id: 'OutputList' });

export const LogsQuerySchema = z.strictObject({
  follow: z.enum(['0', '1', 'true', 'false']).optional(),
  offset: z.coerce.number().int().min(0).optional().describe('first byte (plain text only)'),
  lastEventId: z.string().max(64).optional().describe('resume point when a header cannot be set'),
});

export const HealthSchema = z.object({ status: z.literal('ok') });
export const ReadySchema = z.object({ status: z.enum(['ok']), redis: z.literal('ok') });

/**
 * A route's error responses: an `Error` body for each status it can answer, and only those (the API
 * test kit fails a test whose route answers a status its operation does not list: docs/decisions/0138).
 */
export function errorStatuses<const S extends readonly number[]>(
  ...statuses: S
): { [K in S[number]]: typeof ErrorBodySchema } {
  return Object.fromEntries(statuses.map((status) => [status, ErrorBodySchema])) as {
    [K in S[number]]: typeof ErrorBodySchema;
  };
}

/**
 * What every route behind a token may answer whatever it does: 401 (no or unknown token), 429 (the
 * per-token rate limit, or too many failed authentications from the address), 500 (a failure).
 */
export const TOKEN_ERRORS = [401, 429, 500] as const;

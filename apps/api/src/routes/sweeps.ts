import { isSweepId, JOB_STATES } from '@clore-batch/shared';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { SubmittingApiDeps } from '../deps';
import { principalOf, submitterOf } from '../http/job-access';
import { errorStatuses, JobSubmitHeadersSchema, TOKEN_ERRORS } from '../http/schemas';
import { submitSweep } from '../sweeps/submit-sweep';
import { SweepBodySchema } from '../sweeps/sweep-body';
import { cancelSweep, sweepFor, sweepStatus } from '../sweeps/sweep-status';

const SweepIdParamsSchema = z.object({ id: z.string().refine(isSweepId, 'is not a sweep id') });

const SweepStatusSchema = z
  .object({
    id: z.string(),
    owner: z.string(),
    name: z.string().optional(),
    createdAt: z.string(),
    total: z.number().int().describe('jobs the sweep made'),
    counts: z
      .object(Object.fromEntries(JOB_STATES.map((state) => [state, z.number().int()])))
      .describe('jobs per state'),
    finished: z.number().int().describe('jobs in a terminal state (or deleted by retention)'),
    progress: z.number().describe('finished / total'),
    done: z.boolean(),
    costUsd: z.number().describe("sum of the jobs' costUsd"),
    jobIds: z.array(z.string()).describe('the jobs in index order (CLORE_BATCH_INDEX)'),
  })
  .meta({ id: 'Sweep' });

const SweepListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().min(1).max(200).optional(),
});

const SweepPageSchema = z
  .object({
    sweeps: z.array(
      SweepStatusSchema.omit({ counts: true, finished: true, progress: true, done: true, costUsd: true }),
    ),
    nextCursor: z.string().optional(),
  })
  .meta({ id: 'SweepPage' });

/** POST /v1/sweeps, GET /v1/sweeps, GET /v1/sweeps/:id, POST /v1/sweeps/:id/cancel (decision 0136). */
export async function sweepRoutes(root: FastifyInstance, deps: SubmittingApiDeps): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { store } = deps;

  app.post(
    '/v1/sweeps',
    {
      schema: {
        operationId: 'createSweep',
        tags: ['sweeps'],
        summary: 'Submit a sweep: one job per point of a count or a matrix',
        description:
          "Makes one ordinary job per point: `count: N` gives N points, `matrix: {KEY: [values]}` one per combination of the values (the cartesian product, the last key varying fastest). Each job gets the spec with `CLORE_BATCH_INDEX` (0-based) and the point's values added to `env`, and `sweepId`/`sweepIndex`. The whole sweep is checked like one job (the market check, webhook target) and admitted or refused as one: more than `SWEEP_MAX_JOBS` jobs is a 400 `SWEEP_TOO_LARGE`; TENANT_LIMITS count all its jobs (`maxQueuedJobs`) and the sum of their budgets (spend caps). Refused: nothing is stored. With an `Idempotency-Key`, a repeat of the same body returns the same sweep (200); another body is a 409.",
        headers: JobSubmitHeadersSchema,
        body: SweepBodySchema,
        response: {
          200: SweepStatusSchema,
          201: SweepStatusSchema,
          ...errorStatuses(400, 403, 409, 413, 422, 503, ...TOKEN_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const { sweep, created } = await submitSweep(deps.submit, {
        body: request.body,
        ...submitterOf(request),
      });
      request.log.info(
        { sweepId: sweep.id, owner: sweep.owner, jobs: sweep.jobIds.length, created },
        created ? 'sweep submitted' : 'idempotent repeat',
      );
      return reply.code(created ? 201 : 200).send(await sweepStatus(store, sweep));
    },
  );

  app.get(
    '/v1/sweeps',
    {
      schema: {
        operationId: 'listSweeps',
        tags: ['sweeps'],
        summary: "The caller's sweeps, newest first",
        querystring: SweepListQuerySchema,
        response: { 200: SweepPageSchema, ...errorStatuses(400, ...TOKEN_ERRORS) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const page = await store.listSweeps(principalOf(request).name, {
        limit,
        ...(cursor === undefined ? {} : { cursor }),
      });
      return { ...page, sweeps: page.sweeps.map((sweep) => ({ ...sweep, total: sweep.jobIds.length })) };
    },
  );

  app.get(
    '/v1/sweeps/:id',
    {
      schema: {
        operationId: 'getSweep',
        tags: ['sweeps'],
        summary: 'One sweep: counts by state, cost, progress',
        description: "Another tenant's sweep is a 404 `SWEEP_NOT_FOUND`, like a missing one.",
        params: SweepIdParamsSchema,
        response: { 200: SweepStatusSchema, ...errorStatuses(400, 404, ...TOKEN_ERRORS) },
      },
    },
    async (request) => sweepStatus(store, await sweepFor(store, principalOf(request), request.params.id)),
  );

  app.post(
    '/v1/sweeps/:id/cancel',
    {
      schema: {
        operationId: 'cancelSweep',
        tags: ['sweeps'],
        summary: 'Cancel every job of the sweep that has not ended',
        description:
          'Each job as by POST /v1/jobs/:id/cancel: queued ones are cancelled at once, live ones get `cancelRequestedAt`. Jobs that have ended are left alone.',
        params: SweepIdParamsSchema,
        response: { 202: SweepStatusSchema, ...errorStatuses(400, 404, 409, 413, ...TOKEN_ERRORS) },
      },
    },
    async (request, reply) => {
      const sweep = await sweepFor(store, principalOf(request), request.params.id);
      const cancelled = await cancelSweep(store, sweep);
      request.log.info({ sweepId: sweep.id, cancelled: cancelled.length }, 'sweep cancel requested');
      return reply.code(202).send(await sweepStatus(store, sweep));
    },
  );
}

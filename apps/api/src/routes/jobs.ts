import { idempotentJobId, toPublicJob } from '@clore-batch/shared';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { SubmittingApiDeps } from '../deps';
import { jobFor, principalOf, submitterOf } from '../http/job-access';
import {
  errorStatuses,
  JobIdParamsSchema,
  JobListQuerySchema,
  JobPageSchema,
  JobSpecBody,
  JobSubmitHeadersSchema,
  JobSubmitQuerySchema,
  PublicJob,
  TOKEN_ERRORS,
} from '../http/schemas';
import { planJob } from '../submission/plan-job';
import { JobPlanSchema } from '../submission/plan-schema';
import { submitJob } from '../submission/submit-job';
import { sweepFor, sweepJobPage } from '../sweeps/sweep-status';

/** POST /v1/jobs, GET /v1/jobs/:id, GET /v1/jobs, POST /v1/jobs/:id/cancel. */
export async function jobRoutes(root: FastifyInstance, deps: SubmittingApiDeps): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { store } = deps;

  app.post(
    '/v1/jobs',
    {
      schema: {
        operationId: 'submitJob',
        tags: ['jobs'],
        summary: 'Submit a job',
        description:
          "Validates the spec, checks the tenant's limits (TENANT_LIMITS), stores the job and queues it. With an `Idempotency-Key` header, a repeat of the same body returns the same job (200); the same key with another body is a 409. Over a per-job limit: 403 `TENANT_JOB_BUDGET_LIMIT` / `TENANT_PRICE_LIMIT`; over a spend cap (budget + billed in the UTC day/month + unspent budgets of live jobs): 403 `TENANT_DAILY_SPEND_CAP` / `TENANT_MONTHLY_SPEND_CAP`; `maxQueuedJobs` reached: 429 `TENANT_QUEUE_FULL`. `details` carries the numbers. A repeat is never refused by the limits. Against the fleet's marketplace listing: a GPU model no listed server has is a 422 `GPU_MODEL_UNKNOWN` with `details.suggestions`; a spec no listed server could ever run (count, VRAM, reliability, currency, price cap, maximum rental length) a 422 `SPEC_UNSATISFIABLE` naming the closest offer; servers that fit but are all rented now: accepted, the job waits. No listing known: accepted unchecked, said in the job's events. `?dryRun=true`: the same checks and errors, then 200 with the plan (the servers the worker would try first, the creation fee, the cost for `timeoutSeconds` and whether `budgetUsd` covers it); nothing is stored, queued or ordered.",
        headers: JobSubmitHeadersSchema,
        querystring: JobSubmitQuerySchema,
        body: JobSpecBody,
        response: {
          200: z.union([PublicJob, JobPlanSchema]),
          201: PublicJob,
          ...errorStatuses(400, 403, 409, 413, 422, 503, ...TOKEN_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const submitter = submitterOf(request);
      const submission = { spec: request.body, ...submitter };
      const { dryRun } = request.query;
      if (dryRun === 'true' || dryRun === '1') {
        const plan = await planJob(deps.submit, submission);
        request.log.info({ owner: submitter.owner, servers: plan.servers.length }, 'job planned (dry run)');
        return reply.code(200).send(plan);
      }
      const { job, created } = await submitJob(deps.submit, submission);
      request.log.info(
        { jobId: job.id, owner: job.owner, created },
        created ? 'job submitted' : 'idempotent repeat',
      );
      return reply.code(created ? 201 : 200).send(toPublicJob(job));
    },
  );

  app.get(
    '/v1/jobs/:id',
    {
      schema: {
        operationId: 'getJob',
        tags: ['jobs'],
        summary: 'One job',
        params: JobIdParamsSchema,
        response: { 200: PublicJob, ...errorStatuses(400, 404, ...TOKEN_ERRORS) },
      },
    },
    async (request) => toPublicJob(await jobFor(store, request.principal, request.params.id)),
  );

  app.get(
    '/v1/jobs',
    {
      schema: {
        operationId: 'listJobs',
        tags: ['jobs'],
        summary: "The caller's jobs, newest first",
        description:
          "Admin tokens see every job (or one token's with `owner`); submit tokens only their own. `idempotencyKey` finds the job submitted under that key (0 or 1 job). `sweepId` lists one sweep's jobs in index order (404 `SWEEP_NOT_FOUND` for another tenant's sweep).",
        querystring: JobListQuerySchema,
        response: { 200: JobPageSchema, ...errorStatuses(400, 404, ...TOKEN_ERRORS) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { state, limit, cursor, owner, idempotencyKey, sweepId } = request.query;
      const scope = principal.role === 'admin' ? owner : principal.name;
      if (sweepId !== undefined) {
        const sweep = await sweepFor(store, principal, sweepId);
        const page = await sweepJobPage(store, sweep, {
          limit,
          ...(cursor === undefined ? {} : { cursor }),
          ...(state === undefined ? {} : { state }),
        });
        return { ...page, jobs: page.jobs.map(toPublicJob) };
      }
      if (idempotencyKey !== undefined) {
        const tenant = scope ?? principal.name;
        const id = await idempotentJobId(deps.redis, deps.config.REDIS_PREFIX, tenant, idempotencyKey);
        const job = id === undefined ? undefined : await store.get(id).catch(() => undefined);
        return { jobs: job === undefined || job.owner !== tenant ? [] : [toPublicJob(job)] };
      }
      const page = await store.list({
        limit,
        ...(scope === undefined ? {} : { owner: scope }),
        ...(state === undefined ? {} : { state }),
        ...(cursor === undefined ? {} : { cursor }),
      });
      return {
        jobs: page.jobs.map(toPublicJob),
        ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
      };
    },
  );

  app.post(
    '/v1/jobs/:id/cancel',
    {
      schema: {
        operationId: 'cancelJob',
        tags: ['jobs'],
        summary: 'Cancel a job',
        description:
          'A queued job is cancelled at once; a live one gets `cancelRequestedAt` and the worker stops the command and releases the server. 409 JOB_ALREADY_TERMINAL when it has already ended.',
        params: JobIdParamsSchema,
        response: { 202: PublicJob, ...errorStatuses(400, 404, 409, 413, ...TOKEN_ERRORS) },
      },
    },
    async (request, reply) => {
      const job = await jobFor(store, request.principal, request.params.id);
      // A queued job is cancelled by this write, which also owes its webhook (the store's outbox).
      const next = await store.requestCancel(job.id);
      request.log.info({ jobId: job.id, state: next.state }, 'cancel requested');
      return reply.code(202).send(toPublicJob(next));
    },
  );
}

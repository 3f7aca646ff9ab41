import { toPublicJob } from '@clore-batch/shared';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../deps';
import { jobFor, principalOf } from '../http/job-access';
import {
  errorResponses,
  JobIdParamsSchema,
  JobListQuerySchema,
  JobPageSchema,
  JobSpecBody,
  JobSubmitHeadersSchema,
  PublicJob,
} from '../http/schemas';
import type { SubmitDeps } from '../submission/submit-job';
import { submitJob } from '../submission/submit-job';

/** POST /v1/jobs, GET /v1/jobs/:id, GET /v1/jobs, POST /v1/jobs/:id/cancel. */
export async function jobRoutes(
  root: FastifyInstance,
  deps: ApiDeps & { submit: SubmitDeps },
): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { store } = deps;

  app.post(
    '/v1/jobs',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Submit a job',
        description:
          "Validates the spec, checks the tenant's limits (TENANT_LIMITS), stores the job and queues it. With an `Idempotency-Key` header, a repeat of the same body returns the same job (200); the same key with another body is a 409. Over a per-job limit: 403 `TENANT_JOB_BUDGET_LIMIT` / `TENANT_PRICE_LIMIT`; over a spend cap (budget + billed in the UTC day/month + unspent budgets of live jobs): 403 `TENANT_DAILY_SPEND_CAP` / `TENANT_MONTHLY_SPEND_CAP`; `maxQueuedJobs` reached: 429 `TENANT_QUEUE_FULL`. `details` carries the numbers. A repeat is never refused by the limits.",
        headers: JobSubmitHeadersSchema,
        body: JobSpecBody,
        response: { 200: PublicJob, 201: PublicJob, ...errorResponses, 503: errorResponses[500] },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const idempotencyKey = request.headers['idempotency-key'];
      const { job, created } = await submitJob(deps.submit, {
        spec: request.body,
        owner: principal.name,
        ...(typeof idempotencyKey === 'string' ? { idempotencyKey } : {}),
      });
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
        tags: ['jobs'],
        summary: 'One job',
        params: JobIdParamsSchema,
        response: { 200: PublicJob, ...errorResponses },
      },
    },
    async (request) => toPublicJob(await jobFor(store, request.principal, request.params.id)),
  );

  app.get(
    '/v1/jobs',
    {
      schema: {
        tags: ['jobs'],
        summary: "The caller's jobs, newest first",
        description:
          "Admin tokens see every job (or one token's with `owner`); submit tokens only their own.",
        querystring: JobListQuerySchema,
        response: { 200: JobPageSchema, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { state, limit, cursor, owner } = request.query;
      const scope = principal.role === 'admin' ? owner : principal.name;
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
        tags: ['jobs'],
        summary: 'Cancel a job',
        description:
          'A queued job is cancelled at once; a live one gets `cancelRequestedAt` and the worker stops the command and releases the server. 409 JOB_ALREADY_TERMINAL when it has already ended.',
        params: JobIdParamsSchema,
        response: { 202: PublicJob, ...errorResponses },
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

import { AppError, isJobId, JobState, type JobStore, toPublicJob } from '@clore-batch/shared';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sendOutputFile } from '../../outputs/send-output-file';
import { findJobs } from '../views/job-rows';

/** The route options of the dashboard's JSON endpoints. */
export const API_ROUTE = { config: { dashboard: 'api' as const } };

/** The log view reads at most this much per poll; the first read shows the last LOG_TAIL_VIEW bytes. */
export const LOG_CHUNK_MAX = 64 * 1024;

export const IdParams = z.object({ id: z.string().refine(isJobId, 'is not a job id') });
const JobsQuery = z.strictObject({
  state: z.enum(JobState).optional(),
  owner: z.string().min(1).max(64).optional(),
  q: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
const LogQuery = z.strictObject({ offset: z.coerce.number().int().min(0).optional() });

async function getJob(store: JobStore, id: string) {
  return store.get(id);
}

/**
 * The dashboard's job endpoints: list (filter by state/owner, search by id, name, owner, GPU or
 * server), one job (the public view: attempts, events, outputs, spec with secretEnvNames only),
 * its log from an offset (base64, so a multi-byte character split between two reads survives),
 * its output files, and cancel.
 */
export async function jobsApiRoutes(
  root: FastifyInstance,
  deps: { store: JobStore; now: () => Date },
): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { store } = deps;
  const api = API_ROUTE;

  app.get('/admin/api/summary', api, async (request) => ({
    admin: request.principal?.name ?? '',
    counts: await store.countByState(),
    at: deps.now().toISOString(),
  }));

  app.get('/admin/api/jobs', { ...api, schema: { querystring: JobsQuery } }, async (request) => {
    const { state, owner, q, limit } = request.query;
    return findJobs(
      store,
      {
        limit,
        ...(state === undefined ? {} : { state }),
        ...(owner === undefined ? {} : { owner }),
        ...(q === undefined ? {} : { search: q }),
      },
      deps.now(),
    );
  });

  app.get('/admin/api/jobs/:id', { ...api, schema: { params: IdParams } }, async (request) => {
    const job = await getJob(store, request.params.id);
    return { job: toPublicJob(job), logSize: await store.logSize(job.id) };
  });

  app.get(
    '/admin/api/jobs/:id/log',
    { ...api, schema: { params: IdParams, querystring: LogQuery } },
    async (request) => {
      const { id } = request.params;
      const size = await store.logSize(id);
      const from = request.query.offset ?? Math.max(0, size - LOG_CHUNK_MAX);
      if (from >= size) {
        return { offset: from, size, data: '' };
      }
      const chunk = await store.readLogChunk(id, from, LOG_CHUNK_MAX);
      return { offset: chunk.offset, size: chunk.size, data: chunk.data.toString('base64') };
    },
  );

  app.get(
    '/admin/api/jobs/:id/outputs/*',
    { ...api, schema: { params: IdParams.extend({ '*': z.string() }) } },
    async (request, reply) => {
      const job = await getJob(store, request.params.id);
      return sendOutputFile(reply, store.outputsDir(job.id), request.params['*']);
    },
  );

  app.post('/admin/api/jobs/:id/cancel', { ...api, schema: { params: IdParams } }, async (request, reply) => {
    const admin = request.principal?.name;
    if (admin === undefined) {
      throw new AppError('UNAUTHORIZED', 'no admin session');
    }
    // A queued job is cancelled by this write, which also owes its webhook (the store's outbox).
    const next = await store.requestCancel(request.params.id);
    request.log.info({ jobId: next.id, state: next.state, admin }, 'cancel requested from the dashboard');
    return reply.code(202).send({ job: toPublicJob(next) });
  });
}

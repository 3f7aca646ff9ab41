import { Readable } from 'node:stream';
import { AppError, isJobId, isSweepId, JobState, type JobStore } from '@clore-batch/shared';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { submitJob } from '../../submission/submit-job';
import { cancelJobs } from '../../sweeps/sweep-status';
import { CSV_MAX_ROWS, jobsCsv } from '../views/jobs-csv';
import { LOG_SEARCH_MAX_MATCHES, logChunks, searchLog } from '../views/log-search';
import { resubmitSpec } from '../views/resubmit';
import { API_ROUTE as api, IdParams } from './jobs-api';

const BulkCancelBody = z.union([
  z.strictObject({ ids: z.array(z.string().refine(isJobId, 'is not a job id')).min(1).max(500) }),
  z.strictObject({ sweepId: z.string().refine(isSweepId, 'is not a sweep id') }),
]);
const CsvQuery = z.strictObject({
  state: z.enum(JobState).optional(),
  owner: z.string().min(1).max(64).optional(),
  q: z.string().max(200).optional(),
});
const ResubmitBody = z.strictObject({
  secretEnv: z.record(z.string().min(1).max(200), z.string().max(65_536)).default({}),
});
const SearchQuery = z.strictObject({
  q: z.string().min(1).max(200),
  limit: z.coerce.number().int().min(1).max(LOG_SEARCH_MAX_MATCHES).default(200),
});

/**
 * The dashboard's actions on many jobs and on whole logs: bulk cancel (of selected ids or of a
 * sweep, through the public cancel path: queued jobs end at once, live ones get cancelRequestedAt and
 * the worker ends their orders), the job list as CSV with cost, a search of a job's whole log and
 * its download.
 */
export async function jobActionsApiRoutes(
  root: FastifyInstance,
  store: JobStore,
  now: () => Date,
): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();

  app.post('/admin/api/jobs/cancel', { ...api, schema: { body: BulkCancelBody } }, async (request, reply) => {
    const admin = request.principal?.name;
    if (admin === undefined) {
      throw new AppError('UNAUTHORIZED', 'no admin session');
    }
    const body = request.body;
    const ids = 'ids' in body ? body.ids : (await store.getSweep(body.sweepId)).jobIds;
    const cancelled = await cancelJobs(store, ids);
    request.log.info({ count: cancelled.length, admin }, 'bulk cancel from the dashboard');
    return reply.code(202).send({ cancelled, skipped: ids.length - cancelled.length });
  });

  // A new job with the same spec and owner (so the owner's limits and spend caps apply), through
  // the public submit path; secrets as typed again (views/resubmit.ts).
  app.post(
    '/admin/api/jobs/:id/resubmit',
    { ...api, schema: { params: IdParams, body: ResubmitBody } },
    async (request, reply) => {
      const admin = request.principal?.name;
      if (admin === undefined) {
        throw new AppError('UNAUTHORIZED', 'no admin session');
      }
      const old = await store.get(request.params.id);
      const spec = resubmitSpec(old, request.body.secretEnv);
      const { job } = await submitJob(root.jobSubmitter, { spec, owner: old.owner });
      await store.addInfo(job.id, `re-submitted from ${old.id} by admin ${admin}`);
      request.log.info({ jobId: job.id, from: old.id, admin }, 'job re-submitted from the dashboard');
      return reply.code(201).send({ id: job.id });
    },
  );

  app.get('/admin/api/jobs.csv', { ...api, schema: { querystring: CsvQuery } }, async (request, reply) => {
    const { state, owner, q } = request.query;
    const csv = await jobsCsv(
      store,
      {
        ...(state === undefined ? {} : { state }),
        ...(owner === undefined ? {} : { owner }),
        ...(q === undefined ? {} : { search: q }),
      },
      now(),
    );
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="jobs-${now().toISOString().slice(0, 10)}.csv"`)
      .header('x-rows-max', String(CSV_MAX_ROWS))
      .send(csv);
  });

  app.get(
    '/admin/api/jobs/:id/log/search',
    { ...api, schema: { params: IdParams, querystring: SearchQuery } },
    async (request) => {
      const job = await store.get(request.params.id);
      return searchLog(store, job.id, request.query.q, request.query.limit);
    },
  );

  app.get(
    '/admin/api/jobs/:id/log/download',
    { ...api, schema: { params: IdParams } },
    async (request, reply) => {
      const job = await store.get(request.params.id);
      return reply
        .type('text/plain; charset=utf-8')
        .header('content-disposition', `attachment; filename="${job.id}.log"`)
        .send(Readable.from(logChunks(store, job.id)));
    },
  );
}

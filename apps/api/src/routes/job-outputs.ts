import type { JobStore } from '@clore-batch/shared';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { jobFor } from '../http/job-access';
import { errorStatuses, JobIdParamsSchema, OutputListSchema, TOKEN_ERRORS } from '../http/schemas';
import { sendOutputFile } from '../outputs/send-output-file';

const encodePath = (path: string) =>
  path
    .split('/')
    .filter((s) => s !== '')
    .map(encodeURIComponent)
    .join('/');

/** GET /v1/jobs/:id/outputs (the list) and GET /v1/jobs/:id/outputs/<path> (one file, streamed). */
export async function jobOutputRoutes(root: FastifyInstance, deps: { store: JobStore }): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { store } = deps;
  app.get(
    '/v1/jobs/:id/outputs',
    {
      schema: {
        operationId: 'listOutputs',
        tags: ['outputs'],
        summary: 'The collected output files',
        params: JobIdParamsSchema,
        response: { 200: OutputListSchema, ...errorStatuses(400, 404, ...TOKEN_ERRORS) },
      },
    },
    async (request) => {
      const job = await jobFor(store, request.principal, request.params.id);
      return {
        jobId: job.id,
        outputs: job.outputs.map((file) => ({
          ...file,
          url: `/v1/jobs/${job.id}/outputs/${encodePath(file.path)}`,
        })),
      };
    },
  );
  app.get(
    '/v1/jobs/:id/outputs/*',
    {
      schema: {
        operationId: 'getOutput',
        tags: ['outputs'],
        summary: 'Download one output file',
        description: "The path is the file's absolute path in the container without the leading slash.",
        params: JobIdParamsSchema.extend({ '*': z.string() }),
        response: {
          200: { description: 'the file', content: { 'application/octet-stream': { schema: z.string() } } },
          ...errorStatuses(400, 404, ...TOKEN_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const job = await jobFor(store, request.principal, request.params.id);
      return sendOutputFile(reply, store.outputsDir(job.id), request.params['*']);
    },
  );
}

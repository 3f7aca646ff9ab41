import { constants, createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { posix } from 'node:path';
import type { JobStore } from '@clore-batch/shared';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { jobFor } from '../http/job-access';
import { errorResponses, JobIdParamsSchema, OutputListSchema } from '../http/schemas';
import { resolveOutputFile } from '../outputs/safe-output-path';

const encodePath = (path: string) =>
  path
    .split('/')
    .filter((s) => s !== '')
    .map(encodeURIComponent)
    .join('/');

/** `attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266 / 5987). */
function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const exact = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${exact}`;
}

/** GET /v1/jobs/:id/outputs (the list) and GET /v1/jobs/:id/outputs/<path> (one file, streamed). */
export async function jobOutputRoutes(root: FastifyInstance, deps: { store: JobStore }): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { store } = deps;
  app.get(
    '/v1/jobs/:id/outputs',
    {
      schema: {
        tags: ['outputs'],
        summary: 'The collected output files',
        params: JobIdParamsSchema,
        response: { 200: OutputListSchema, ...errorResponses },
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
        tags: ['outputs'],
        summary: 'Download one output file',
        description: "The path is the file's absolute path in the container without the leading slash.",
        params: JobIdParamsSchema.extend({ '*': z.string() }),
        response: {
          200: { description: 'the file', content: { 'application/octet-stream': { schema: z.string() } } },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const job = await jobFor(store, request.principal, request.params.id);
      const file = await resolveOutputFile(store.jobDir(job.id), request.params['*']);
      // Open first, then stream from the descriptor: the checked file is the one sent.
      const handle = await open(file.path, constants.O_RDONLY | constants.O_NOFOLLOW);
      const stream = createReadStream('', {
        fd: handle,
        autoClose: true,
        start: 0,
        end: Math.max(0, file.size - 1),
      });
      const name = posix.basename(request.params['*']);
      return reply
        .type('application/octet-stream')
        .header('content-length', String(file.size))
        .header('content-disposition', contentDisposition(name))
        .header('x-content-type-options', 'nosniff')
        .send(stream as unknown as string); // a stream; the schema documents the bytes
    },
  );
}

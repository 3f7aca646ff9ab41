import { Readable } from 'node:stream';
import { isTerminal, type JobStore } from '@clore-batch/shared';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { jobFor } from '../http/job-access';
import { errorStatuses, JobIdParamsSchema, LogsQuerySchema, TOKEN_ERRORS } from '../http/schemas';
import { parseEventId } from '../sse/event-id';
import { SseWriter } from '../sse/sse-writer';
import { streamJob } from '../sse/stream-job';

const CHUNK = 64 * 1024;
export const SSE_HEARTBEAT_MS = 15_000;

/** The log bytes from `from` up to `to`, read a chunk at a time as the response drains. */
function logStream(store: JobStore, id: string, from: number, to: number): Readable {
  async function* chunks() {
    let offset = from;
    while (offset < to) {
      const chunk = await store.readLogChunk(id, offset, Math.min(CHUNK, to - offset));
      if (chunk.data.length === 0) {
        return;
      }
      yield chunk.data;
      offset = chunk.offset + chunk.data.length;
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

/** GET /v1/jobs/:id/logs: the output so far (text/plain), or `?follow=1` as Server-Sent Events. */
export async function jobLogRoutes(root: FastifyInstance, deps: { store: JobStore }): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { store } = deps;
  app.get(
    '/v1/jobs/:id/logs',
    {
      schema: {
        operationId: 'getJobLogs',
        tags: ['logs'],
        summary: "The command's output",
        description:
          'Without `follow`: the bytes stored so far as text/plain (from `offset`; header `X-Log-Size`). ' +
          'Secret values of the job (`secretEnv`, `registryAuth`) read `***`. Past LOG_MAX_BYTES the middle of the log is dropped: ' +
          'a marker line says how many bytes, and `X-Log-Size` (the offsets) still counts them. ' +
          'With `follow=1`: text/event-stream with `log` ({offset, text}), `state` and `info` (history entries) and a final `end` (job summary) event; ' +
          'each id is a resume point for `Last-Event-ID` (or `?lastEventId=`).',
        params: JobIdParamsSchema,
        querystring: LogsQuerySchema,
        response: {
          204: z
            .null()
            .describe('a resume (Last-Event-ID) after the end of a finished job: nothing more will come'),
          200: {
            description: 'the log, or the event stream',
            content: { 'text/plain': { schema: z.string() }, 'text/event-stream': { schema: z.string() } },
          },
          ...errorStatuses(400, 404, ...TOKEN_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const job = await jobFor(store, request.principal, request.params.id);
      const { follow, offset, lastEventId } = request.query;
      if (follow !== '1' && follow !== 'true') {
        const size = await store.logSize(job.id);
        const from = Math.min(offset ?? 0, size);
        return reply
          .type('text/plain; charset=utf-8')
          .header('x-log-size', String(size))
          .header('cache-control', 'no-store')
          .send(logStream(store, job.id, from, size) as unknown as string); // a stream; the schema documents text
      }
      const header = request.headers['last-event-id'];
      const resumeId = typeof header === 'string' && header !== '' ? header : lastEventId;
      const from = parseEventId(resumeId);
      if (resumeId !== undefined && isTerminal(job.state) && from.index >= job.events.length) {
        if (from.offset >= (await store.logSize(job.id))) {
          // A reconnect after `end`: 204 tells EventSource to stop reconnecting.
          return reply.code(204).send(null);
        }
      }
      const raw = reply.raw;
      reply.hijack();
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const writer = new SseWriter(raw, SSE_HEARTBEAT_MS);
      const abort = new AbortController();
      raw.on('close', () => abort.abort());
      try {
        await writer.comment('stream of job logs and state changes');
        const outcome = await streamJob({ store, jobId: job.id, from, writer, signal: abort.signal });
        request.log.debug({ jobId: job.id, outcome }, 'log stream finished');
      } catch (error) {
        request.log.error({ err: error, jobId: job.id }, 'log stream failed');
        await writer.send(
          'error',
          JSON.stringify({ code: 'INTERNAL', message: 'the stream failed; reconnect with Last-Event-ID' }),
        );
      } finally {
        writer.end();
      }
    },
  );
}

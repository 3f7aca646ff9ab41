import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { JOBS_QUEUE } from '@clore-batch/shared';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const QUEUES_PATH = '/admin/queues';

/**
 * bull-board's page has inline styles (its loading spinner) but no inline script; its HTML also
 * links Google Fonts, which this policy blocks (the UI falls back to system fonts), so an admin's
 * browser talks to this server only.
 */
export const QUEUES_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
].join('; ');

/** The dashboard's page of one job (its hash route), which every bull-board entry links to. */
export function jobPageUrl(jobId: string): string {
  return `/admin#job/${encodeURIComponent(jobId)}`;
}

/** The clore-batch job a BullMQ job of either queue is about (`data.jobId`), if it names one. */
function jobIdOf(data: unknown): string | undefined {
  const id = (data as { jobId?: unknown } | null | undefined)?.jobId;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/**
 * bull-board's adapter of one queue, with a link from each entry to the job's dashboard page. On
 * the jobs queue Retry is not offered (docs/decisions/0146): a job that ended failed or cancelled is
 * terminal in the job state machine, so a retried BullMQ job would only settle failed again; a
 * job is run again by submitting it again. Jobs that ended failed or cancelled are failed BullMQ
 * jobs with the reason (the worker's bull-outcome.ts), so bull-board lists them as failed.
 */
function adapterOf(queue: Queue): BullMQAdapter {
  return new BullMQAdapter(queue, {
    ...(queue.name === JOBS_QUEUE ? { allowRetries: false } : {}),
    externalJobUrl: (job) => {
      const id = jobIdOf(job.data);
      return id === undefined ? { href: QUEUES_PATH } : { href: jobPageUrl(id), displayText: `job ${id}` };
    },
  });
}

/**
 * bull-board's retry routes (one job, or all of a status) hide their button with `allowRetries:
 * false` but still answer; on the jobs queue they are refused here, so no client can retry either.
 */
async function refuseJobRetries(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const { queueName } = (request.params ?? {}) as { queueName?: string };
  if (
    request.method === 'PUT' &&
    queueName === JOBS_QUEUE &&
    /\/retry(\/|$)/.test(request.routeOptions.url ?? '')
  ) {
    await reply.code(405).send({
      error: 'JOB_RETRY_NOT_OFFERED',
      message: 'a job that ended is not run again from the queue: submit it again (POST /v1/jobs)',
    });
  }
}

/**
 * bull-board for the jobs and webhooks queues at /admin/queues. Registered inside the dashboard's
 * scope, so the dashboard guard (admin session or admin bearer token) runs before every one of its
 * routes, the page, its static files and its JSON API alike.
 */
export async function registerBullBoard(app: FastifyInstance, queues: ReadonlyArray<Queue>): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUES_PATH);
  createBullBoard({
    queues: queues.map(adapterOf),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'clore-batch queues' } },
  });
  await app.register(async (scope) => {
    scope.addHook('onRequest', refuseJobRetries);
    await scope.register(serverAdapter.registerPlugin(), { prefix: QUEUES_PATH });
  });
}

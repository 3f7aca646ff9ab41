import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';

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

/**
 * bull-board for the jobs and webhooks queues at /admin/queues. Registered inside the dashboard's
 * scope, so the dashboard guard (admin session or admin bearer token) runs before every one of its
 * routes, the page, its static files and its JSON API alike.
 */
export async function registerBullBoard(app: FastifyInstance, queues: ReadonlyArray<Queue>): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUES_PATH);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'clore-batch queues' } },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: QUEUES_PATH });
}

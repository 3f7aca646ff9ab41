import type { FastifyInstance } from 'fastify';
import { errorResponses } from '../http/schemas';
import type { ApiMetrics } from '../metrics/api-metrics';

/** GET /metrics: Prometheus text format; admin token only (it shows every tenant's figures). */
export async function metricsRoutes(app: FastifyInstance, metrics: ApiMetrics): Promise<void> {
  app.get(
    '/metrics',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics (admin token)',
        response: { 401: errorResponses[401], 403: errorResponses[403] },
      },
    },
    async (_request, reply) => {
      const text = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(text);
    },
  );
}

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { errorStatuses, TOKEN_ERRORS } from '../http/schemas';
import type { ApiMetrics } from '../metrics/api-metrics';

/** GET /metrics: Prometheus text format; admin token only (it shows every tenant's figures). */
export async function metricsRoutes(app: FastifyInstance, metrics: ApiMetrics): Promise<void> {
  app.get(
    '/metrics',
    {
      config: { access: 'admin' },
      schema: {
        operationId: 'metrics',
        tags: ['health'],
        summary: 'Prometheus metrics (admin token)',
        response: {
          200: {
            description: 'the metrics, Prometheus text format',
            content: { 'text/plain': { schema: z.string() } },
          },
          ...errorStatuses(403, ...TOKEN_ERRORS),
        },
      },
    },
    async (_request, reply) => {
      const text = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(text);
    },
  );
}

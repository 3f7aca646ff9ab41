import { AppError } from '@clore-batch/shared';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import { errorStatuses, HealthSchema, ReadySchema } from '../http/schemas';

const READY_TIMEOUT_MS = 2_000;

/**
 * GET /healthz (the process answers) and GET /readyz (Redis answers PING), both without a token:
 * load balancers and orchestrators probe them with none. Neither says more than ok / not ok.
 * `/readyz` stays under the per-address request rate limit (it costs a Redis round trip).
 */
export async function healthRoutes(root: FastifyInstance, deps: { redis: Redis }): Promise<void> {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/healthz',
    {
      config: { access: 'public', rateLimit: false },
      schema: {
        operationId: 'health',
        tags: ['health'],
        summary: 'Liveness (no token needed)',
        security: [],
        response: { 200: HealthSchema },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      config: { access: 'public' },
      schema: {
        operationId: 'ready',
        tags: ['health'],
        summary: 'Readiness: Redis reachable (no token needed)',
        security: [],
        // 429: the per-address request rate limit; 503: Redis does not answer.
        response: { 200: ReadySchema, ...errorStatuses(429, 503) },
      },
    },
    async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('PING timed out')), READY_TIMEOUT_MS);
      });
      try {
        await Promise.race([deps.redis.ping(), timeout]);
      } catch (cause) {
        throw new AppError('REDIS_UNAVAILABLE', 'Redis does not answer', { cause });
      } finally {
        clearTimeout(timer);
      }
      return { status: 'ok' as const, redis: 'ok' as const };
    },
  );
}

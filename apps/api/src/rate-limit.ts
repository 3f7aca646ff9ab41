import { AppError, redisKeys } from '@clore-batch/shared';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';

/**
 * Per-token request rate limit (API_RATE_LIMIT_PER_MINUTE), counted in Redis so every API process
 * shares it. Keyed by the token's name (requests without a principal, e.g. /docs, by address).
 */
export async function registerRateLimit(
  app: FastifyInstance,
  options: { redis: Redis; prefix: string; perMinute: number },
): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    max: options.perMinute,
    timeWindow: 60_000,
    redis: options.redis,
    nameSpace: redisKeys(options.prefix).apiRateNamespace,
    skipOnError: true,
    keyGenerator: (request) => (request.principal ? `token:${request.principal.name}` : `ip:${request.ip}`),
    errorResponseBuilder: (_request, context) =>
      new AppError(
        'RATE_LIMITED',
        `too many requests for this token: ${context.max} per minute; retry in ${context.after}`,
        {
          details: { retryAfterMs: context.ttl },
        },
      ),
  });
}

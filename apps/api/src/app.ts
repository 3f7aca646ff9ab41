import { deriveSecretKey } from '@clore-batch/shared';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { serializerCompiler } from 'fastify-type-provider-zod';
import { createAuthFailures } from './auth/auth-failures';
import { registerAuth } from './auth/auth-hook';
import type { ApiDeps } from './deps';
import { registerErrorHandling } from './errors/error-handler';
import { zodValidatorCompiler } from './errors/zod-validator';
import { createCreationFeeSource } from './market/creation-fee';
import { createMarketplaceReader } from './market/marketplace-reader';
import { createApiMetrics } from './metrics/api-metrics';
import { registerOpenApi } from './openapi';
import { registerRateLimit } from './rate-limit';
import { healthRoutes } from './routes/health';
import { jobLogRoutes } from './routes/job-logs';
import { jobOutputRoutes } from './routes/job-outputs';
import { jobRoutes } from './routes/jobs';
import { metricsRoutes } from './routes/metrics';
import { offerRoutes } from './routes/offers';
import { sweepRoutes } from './routes/sweeps';
import { uploadRoutes } from './routes/uploads';
import { webhookKeyRoutes } from './routes/webhook-key';
import { createUsageReader } from './submission/read-usage';
import { createTenantFiguresReader } from './tenants/tenant-figures';

/**
 * The API as a Fastify instance, not listening (tests use `inject()` or `listen()` it themselves).
 * Behind a proxy, `TRUST_PROXY` names the peers whose X-Forwarded-* headers count (request.ip,
 * protocol, host). Registers, in order: error handling, auth (first onRequest hook, after the
 * failed-authentication check of the client address), the per-token rate limit,
 * OpenAPI, the routes, then `deps.plugins` (the dashboard). Closing the app closes none of the
 * deps: their owner (startApi, main.ts, a test) does.
 */
export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: config.API_BODY_LIMIT_BYTES,
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: typeof config.TRUST_PROXY === 'boolean' ? config.TRUST_PROXY : [...config.TRUST_PROXY],
    return503OnClosing: true,
  });
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  const authFailures = createAuthFailures({
    redis: deps.redis,
    prefix: config.REDIS_PREFIX,
    limit: config.AUTH_FAILURE_LIMIT,
    windowSeconds: config.AUTH_FAILURE_WINDOW_SECONDS,
    logger: deps.logger,
  });
  registerAuth(app, config.API_TOKENS, authFailures);
  await registerRateLimit(app, {
    redis: deps.redis,
    prefix: config.REDIS_PREFIX,
    perMinute: config.API_RATE_LIMIT_PER_MINUTE,
  });
  await registerOpenApi(app);

  const secretKey = deriveSecretKey(config.SECRETS_KEY);
  const usage = createUsageReader({ store: deps.store, redis: deps.redis, prefix: config.REDIS_PREFIX });
  const market = createMarketplaceReader({ redis: deps.redis, prefix: config.REDIS_PREFIX });
  const fees = createCreationFeeSource({ config, redis: deps.redis, logger: deps.logger });
  app.addHook('onClose', async () => fees.close());
  const submit = {
    config,
    store: deps.store,
    queue: deps.queue,
    redis: deps.redis,
    usage,
    secretKey,
    market,
    fees,
  };
  // One usage reader per process (admission, metrics, the dashboard's Tenants view): it keeps figures.
  const tenants = createTenantFiguresReader({ config, store: deps.store, redis: deps.redis, usage });
  app.decorate('tenantFigures', tenants);
  app.decorate('jobSubmitter', submit);
  const metrics = createApiMetrics({
    redis: deps.redis,
    prefix: config.REDIS_PREFIX,
    store: deps.store,
    tenants,
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.observeRequest(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: reply.statusCode },
      reply.elapsedTime / 1_000,
    );
  });
  const { onResponse } = deps;
  if (onResponse !== undefined) {
    app.addHook('onResponse', async (request, reply) => onResponse(request, reply));
  }
  await app.register(async (scope) => {
    await healthRoutes(scope, deps);
    await jobRoutes(scope, { ...deps, submit });
    await sweepRoutes(scope, { ...deps, submit });
    await jobLogRoutes(scope, deps);
    await jobOutputRoutes(scope, deps);
    await offerRoutes(scope, { config, market });
    await uploadRoutes(scope, { config });
    await metricsRoutes(scope, metrics);
    await webhookKeyRoutes(scope, { config });
  });
  for (const plugin of deps.plugins ?? []) {
    await app.register(plugin, { deps });
  }
  return app;
}

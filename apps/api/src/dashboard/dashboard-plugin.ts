import { createTelemetryCounters, deriveSecretKey, redisKeys } from '@clore-batch/shared';
import cookie from '@fastify/cookie';
import type { ApiDeps, ApiPlugin } from '../deps';
import { startPeriodicPass } from '../periodic-pass';
import { QUEUES_CONTENT_SECURITY_POLICY, registerBullBoard } from './bull-board';
import { createQueueDepthSamples, QUEUE_SAMPLE_MS } from './charts/queue-depth-sampler';
import { alertsApiRoutes } from './routes/alerts-api';
import { chartsApiRoutes } from './routes/charts-api';
import { fleetApiRoutes } from './routes/fleet-api';
import { jobActionsApiRoutes } from './routes/job-actions-api';
import { jobsApiRoutes } from './routes/jobs-api';
import { loginRoutes } from './routes/login-routes';
import { pageRoutes } from './routes/page-routes';
import { CONTENT_SECURITY_POLICY, loadStaticPages } from './routes/static-pages';
import { createAdminSessions, DEFAULT_SESSION_TTL_SECONDS } from './session/admin-sessions';
import { createDashboardGuard } from './session/dashboard-access';
import { createWalletSource, type WalletSource } from './views/wallet-source';

export interface DashboardOptions {
  /** Session lifetime (default 8 h); the session also ends when its token leaves API_TOKENS. */
  sessionTtlSeconds?: number;
  /** Wallet balances (default: CloreClient.wallets() through the shared limiter, cached 60 s). */
  wallets?: (deps: ApiDeps) => WalletSource;
  now?: () => Date;
  /** How often the queue depth is sampled for the queue chart (default QUEUE_SAMPLE_MS). */
  queueSampleMs?: number;
}

/**
 * The admin dashboard as an API plugin (`buildApp({ ..., plugins: [createDashboardPlugin()] })`):
 * /admin (the page and its JSON under /admin/api), /admin/login, /admin/logout and bull-board at
 * /admin/queues. Everything is registered in one encapsulated scope whose guard admits an admin
 * session cookie or an admin bearer token; the API's own bearer hook is told to let these routes
 * through (`access: 'custom'`, decision 0061) because the guard does the work. docs/dashboard.md.
 */
export function createDashboardPlugin(options: DashboardOptions = {}): ApiPlugin {
  return async (app, { deps }) => {
    const { config } = deps;
    const now = options.now ?? (() => new Date());
    const ttlSeconds = options.sessionTtlSeconds ?? DEFAULT_SESSION_TTL_SECONDS;
    const sessions = createAdminSessions({
      redis: deps.redis,
      prefix: config.REDIS_PREFIX,
      tokens: config.API_TOKENS,
      key: deriveSecretKey(config.SECRETS_KEY, 'clore-batch/admin-session'),
      ttlSeconds,
      now,
    });
    const wallets =
      options.wallets?.(deps) ?? createWalletSource({ config, redis: deps.redis, logger: deps.logger });
    app.addHook('onClose', async () => wallets.close());

    // Every route of this scope (bull-board's too) is guarded here, not by the bearer-only hook.
    app.addHook('onRoute', (route) => {
      route.config = { ...route.config, access: 'custom', dashboard: route.config?.dashboard ?? 'queues' };
    });
    await app.register(cookie);
    app.addHook('onRequest', createDashboardGuard(sessions));
    app.addHook('onSend', async (request, reply) => {
      const queues = request.routeOptions.config.dashboard === 'queues';
      reply.header(
        'content-security-policy',
        queues ? QUEUES_CONTENT_SECURITY_POLICY : CONTENT_SECURITY_POLICY,
      );
      reply.header('x-frame-options', 'DENY');
      if (!queues) {
        reply.header('cache-control', reply.getHeader('cache-control') ?? 'no-store');
      }
      reply.header('x-content-type-options', 'nosniff');
      // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on POSTs.
      reply.header('referrer-policy', 'same-origin');
    });

    const pages = loadStaticPages();
    await loginRoutes(app, { sessions, pages, ttlSeconds });
    await pageRoutes(app, { pages });
    await jobsApiRoutes(app, { store: deps.store, now });
    await jobActionsApiRoutes(app, deps.store, now);
    const counters = createTelemetryCounters(deps.redis, config.REDIS_PREFIX);
    const samples = createQueueDepthSamples({
      redis: deps.redis,
      store: deps.store,
      counters,
      key: redisKeys(config.REDIS_PREFIX).queueDepthSamples,
    });
    await fleetApiRoutes(app, {
      redis: deps.redis,
      store: deps.store,
      prefix: config.REDIS_PREFIX,
      reaperGraceSeconds: config.REAPER_GRACE_SECONDS,
      counters,
      wallets,
      tenants: app.tenantFigures,
      now,
    });
    await chartsApiRoutes(app, {
      redis: deps.redis,
      store: deps.store,
      prefix: config.REDIS_PREFIX,
      tenantLimits: config.TENANT_LIMITS,
      createSpacingMs: config.CLORE_CREATE_SPACING_MS,
      samples,
      now,
    });
    await alertsApiRoutes(app, {
      redis: deps.redis,
      prefix: config.REDIS_PREFIX,
      wallets,
      samples,
      config,
      now,
    });
    // A sample at start too: "code-5 answers in the last hour" counts from it.
    const sampler = startPeriodicPass(() => samples.sample(now().getTime()), {
      intervalMs: options.queueSampleMs ?? QUEUE_SAMPLE_MS,
      log: deps.logger,
      what: 'dashboard sample',
    });
    app.addHook('onReady', async () => {
      await sampler
        .runOnce()
        .catch((error: unknown) => deps.logger.warn({ err: error }, 'dashboard sample failed'));
    });
    app.addHook('onClose', async () => sampler.stop());
    await registerBullBoard(app, [deps.queue, deps.webhookQueue]);
  };
}

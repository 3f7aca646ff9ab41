import { type ApiToken, AppError } from '@clore-batch/shared';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthFailures } from './auth-failures';
import { bearerToken, createTokenVerifier } from './token-verifier';

declare module 'fastify' {
  interface FastifyInstance {
    /** Failed authentications per client address (auth-failures.ts); the dashboard uses it too. */
    authFailures: AuthFailures;
  }
}

/**
 * Authentication on every route but those marked `config: { access: 'public' | 'custom' }`. First
 * the client address's failed authentications (429 AUTH_RATE_LIMITED over the limit, before the
 * token is looked at); then no token: 401 UNAUTHORIZED; an unknown token: 401, counted as a failure;
 * a submit token on an admin route: 403 FORBIDDEN. Runs as the first onRequest hook, so the rate
 * limiter (keyed by token name) sees the principal.
 */
export function registerAuth(
  app: FastifyInstance,
  tokens: ReadonlyArray<Readonly<ApiToken>>,
  failures: AuthFailures,
): void {
  const verify = createTokenVerifier(tokens);
  app.decorate('authFailures', failures);
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request, reply) => {
    const access = request.routeOptions.config.access;
    if (access === 'public' || access === 'custom' || isDocsRoute(request.routeOptions.url)) {
      return;
    }
    await assertAddressAllowed(request, reply);
    const token = bearerToken(request.headers.authorization);
    if (token === undefined) {
      throw new AppError('UNAUTHORIZED', 'missing bearer token: send "Authorization: Bearer <token>"');
    }
    const principal = verify(token);
    if (principal === undefined) {
      await failures.record(request.ip);
      throw new AppError('UNAUTHORIZED', 'unknown or revoked API token');
    }
    request.principal = principal;
    if (access === 'admin' && principal.role !== 'admin') {
      throw new AppError(
        'FORBIDDEN',
        `this route needs an admin token; token "${principal.name}" is ${principal.role}`,
      );
    }
  });
}

/**
 * The failed-authentication check of the request's client address (`request.ip`: the forwarded one
 * behind a trusted proxy), with `retry-after` on the refusal. Call it before looking at a credential.
 */
export async function assertAddressAllowed(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  try {
    await request.server.authFailures.assertAllowed(request.ip);
  } catch (error) {
    const seconds = (error as AppError).details?.retryAfterSeconds;
    if (typeof seconds === 'number') {
      void reply.header('retry-after', String(seconds));
    }
    throw error;
  }
}

/** Swagger UI and the OpenAPI JSON (registered by @fastify/swagger-ui, which takes no route config). */
function isDocsRoute(url: string | undefined): boolean {
  return url === '/docs' || url?.startsWith('/docs/') === true;
}

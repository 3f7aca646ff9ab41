import { type ApiToken, AppError } from '@clore-batch/shared';
import type { FastifyInstance } from 'fastify';
import { bearerToken, createTokenVerifier } from './token-verifier';

/**
 * Authentication on every route but those marked `config: { access: 'public' | 'custom' }`. No or an unknown
 * token: 401 UNAUTHORIZED; a submit token on an admin route: 403 FORBIDDEN. Runs as the first
 * onRequest hook, so the rate limiter (keyed by token name) sees the principal.
 */
export function registerAuth(app: FastifyInstance, tokens: ReadonlyArray<Readonly<ApiToken>>): void {
  const verify = createTokenVerifier(tokens);
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    if (access === 'public' || access === 'custom' || isDocsRoute(request.routeOptions.url)) {
      return;
    }
    const token = bearerToken(request.headers.authorization);
    if (token === undefined) {
      throw new AppError('UNAUTHORIZED', 'missing bearer token: send "Authorization: Bearer <token>"');
    }
    const principal = verify(token);
    if (principal === undefined) {
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

/** Swagger UI and the OpenAPI JSON (registered by @fastify/swagger-ui, which takes no route config). */
function isDocsRoute(url: string | undefined): boolean {
  return url === '/docs' || url?.startsWith('/docs/') === true;
}

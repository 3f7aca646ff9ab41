import { AppError } from '@clore-batch/shared';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { assertAddressAllowed } from '../../auth/auth-hook';
import { bearerToken } from '../../auth/token-verifier';
import { toErrorResponse } from '../../errors/error-body';
import { type AdminSession, type AdminSessions, SESSION_COOKIE } from './admin-sessions';

/**
 * How a dashboard route is guarded (route config `dashboard`):
 * - `login`: open (the login form and its POST);
 * - `page`: an HTML page; without a session the browser is sent to the login form;
 * - `api`: JSON for the page; 401/403 as JSON;
 * - `queues`: bull-board (its page and its own JSON API).
 */
export type DashboardAccess = 'login' | 'page' | 'api' | 'queues';

declare module 'fastify' {
  interface FastifyContextConfig {
    dashboard?: DashboardAccess;
  }
  interface FastifyRequest {
    /** Set by the dashboard guard when the request came with a live admin session cookie. */
    adminSession?: { id: string; session: AdminSession };
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * `https://host:port` of the request itself (what a same-origin page sends as Origin). Behind a
 * trusted proxy (TRUST_PROXY) the scheme and host are the forwarded ones: the browser's origin.
 */
export function ownOrigin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

/**
 * A state change from a browser must come from our own page: Origin, when the browser sends one,
 * is this server's, and (for cookie sessions) `X-CSRF-Token` equals the session's token. Bearer
 * requests carry no ambient credential, so they need no CSRF token.
 */
export function assertSameOrigin(request: FastifyRequest): void {
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== ownOrigin(request)) {
    throw new AppError('FORBIDDEN', 'cross-origin request refused (Origin is not this server)');
  }
}

function assertCsrf(
  request: FastifyRequest,
  sessions: AdminSessions,
  sessionId: string,
  checkToken: boolean,
) {
  assertSameOrigin(request);
  if (!checkToken) {
    return;
  }
  const header = request.headers['x-csrf-token'];
  if (!sessions.csrfMatches(sessionId, typeof header === 'string' ? header : undefined)) {
    throw new AppError('FORBIDDEN', 'missing or wrong X-CSRF-Token: reload the dashboard and try again');
  }
}

/**
 * The dashboard's onRequest guard. Admits an admin session cookie or an admin bearer token; sets
 * `request.principal` either way. A submit token is refused (403); no credential: the login form
 * for pages, 401 for JSON. State-changing session requests pass the CSRF checks above (bull-board's
 * own UI cannot send the header, so its POST/PUT/DELETE rely on Origin plus the SameSite=Strict cookie).
 */
export function createDashboardGuard(sessions: AdminSessions) {
  // Refusals are answered here, not thrown: bull-board's scope has its own error handler (a 500).
  return async function dashboardGuard(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    try {
      await guard(request, reply);
    } catch (error) {
      const { status, body } = toErrorResponse(error);
      await reply.code(status).type('application/json; charset=utf-8').send(body);
    }
  };

  async function guard(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const access = request.routeOptions.config.dashboard;
    if (access === undefined || access === 'login') {
      return;
    }
    const token = bearerToken(request.headers.authorization);
    if (token !== undefined) {
      await assertAddressAllowed(request, reply);
      const principal = sessions.verify(token);
      if (principal === undefined) {
        await request.server.authFailures.record(request.ip);
        throw new AppError('UNAUTHORIZED', 'unknown or revoked API token');
      }
      if (principal.role !== 'admin') {
        throw new AppError(
          'FORBIDDEN',
          `admin role required; token "${principal.name}" is ${principal.role}`,
        );
      }
      request.principal = principal;
      return;
    }
    const sessionId = request.cookies[SESSION_COOKIE];
    const session = sessionId === undefined ? undefined : await sessions.get(sessionId);
    if (sessionId === undefined || session === undefined) {
      if (
        access === 'page' ||
        (access === 'queues' && request.method === 'GET' && !request.url.includes('/api/'))
      ) {
        await reply.redirect(access === 'queues' ? '/admin/login?next=queues' : '/admin/login', 303);
        return;
      }
      throw new AppError('UNAUTHORIZED', 'no admin session: log in at /admin/login');
    }
    if (!SAFE_METHODS.has(request.method)) {
      assertCsrf(request, sessions, sessionId, access !== 'queues');
    }
    request.adminSession = { id: sessionId, session };
    request.principal = { name: session.name, role: 'admin' };
  }
}

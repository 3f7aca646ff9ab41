import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { assertAddressAllowed } from '../../auth/auth-hook';
import { type AdminSessions, SESSION_COOKIE } from '../session/admin-sessions';
import { assertSameOrigin } from '../session/dashboard-access';
import type { StaticPages } from './static-pages';

const LOGIN_BODY_LIMIT = 4_096;

/** Where a login may send the browser: a fixed list, so `next` can never be an open redirect. */
const LOGIN_TARGETS: Record<string, string> = { queues: '/admin/queues' };
const known = (next: unknown): next is string =>
  typeof next === 'string' && Object.hasOwn(LOGIN_TARGETS, next);
const targetOf = (next: unknown) => (known(next) ? LOGIN_TARGETS[next] : undefined) ?? '/admin';
const nextOf = (next: unknown) => (known(next) ? next : '');

/** `Secure` when the request came over https (behind a trusted proxy: its X-Forwarded-Proto, TRUST_PROXY). */
function cookieOptions(request: FastifyRequest, maxAgeSeconds: number) {
  return {
    path: '/admin',
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: request.protocol === 'https',
    maxAge: maxAgeSeconds,
  };
}

function loginPage(reply: FastifyReply, pages: StaticPages, status: number, message: string, next: unknown) {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .send(pages.login(message, nextOf(next)));
}

/**
 * GET /admin/login (the form), POST /admin/login (form body `token`), POST /admin/logout. Login
 * sets the session cookie for an admin token only: a submit token gets a 403 "admin role required"
 * page, an unknown one a 401 page (and counts as a failed authentication of the client address;
 * over AUTH_FAILURE_LIMIT the login is refused 429 before the token is looked at); neither says
 * anything about the token itself.
 */
export async function loginRoutes(
  app: FastifyInstance,
  deps: { sessions: AdminSessions; pages: StaticPages; ttlSeconds: number },
): Promise<void> {
  const { sessions, pages } = deps;
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: LOGIN_BODY_LIMIT },
    (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    },
  );

  app.get('/admin/login', { config: { dashboard: 'login' } }, async (request, reply) =>
    loginPage(reply, pages, 200, '', (request.query as Record<string, unknown>).next),
  );

  app.post('/admin/login', { config: { dashboard: 'login' } }, async (request, reply) => {
    assertSameOrigin(request);
    const body = (request.body ?? {}) as Record<string, unknown>;
    try {
      await assertAddressAllowed(request, reply);
    } catch (error) {
      request.log.info('dashboard login refused: too many failed logins from this address');
      return loginPage(reply, pages, 429, (error as Error).message, body.next);
    }
    const token = typeof body.token === 'string' ? body.token.trim() : '';
    const principal = token === '' ? undefined : sessions.verify(token);
    if (principal === undefined) {
      if (token !== '') {
        await request.server.authFailures.record(request.ip);
      }
      request.log.info('dashboard login refused: unknown token');
      return loginPage(reply, pages, 401, 'Unknown token.', body.next);
    }
    if (principal.role !== 'admin') {
      request.log.info({ token: principal.name }, 'dashboard login refused: not an admin token');
      return loginPage(
        reply,
        pages,
        403,
        'Admin role required: this token can submit jobs but not open the dashboard.',
        body.next,
      );
    }
    const { sessionId } = await sessions.create(token);
    request.log.info({ admin: principal.name }, 'dashboard login');
    return reply
      .setCookie(SESSION_COOKIE, sessionId, cookieOptions(request, deps.ttlSeconds))
      .redirect(targetOf(body.next), 303);
  });

  app.post('/admin/logout', { config: { dashboard: 'api' } }, async (request, reply) => {
    if (request.adminSession !== undefined) {
      await sessions.delete(request.adminSession.id);
      request.log.info({ admin: request.adminSession.session.name }, 'dashboard logout');
    }
    return reply.clearCookie(SESSION_COOKIE, cookieOptions(request, 0)).code(204).send();
  });
}

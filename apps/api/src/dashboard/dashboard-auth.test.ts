import { describe, expect } from 'vitest';
import { apiTest } from '../../test/support/api-fixture';
import { type TestApi, TOKENS } from '../../test/support/api-kit';
import { csrfOf, login } from '../../test/support/dashboard-kit';

const test = apiTest({}, { dashboard: {} });

let fx: TestApi;

describe('dashboard login and session', () => {
  test('logs an admin in with an httpOnly SameSite=Strict cookie scoped to /admin, stored hashed in Redis', async ({
    openApi,
    server,
  }) => {
    fx = await openApi();
    const { response, cookie } = await login(fx.app, TOKENS.root);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/admin');
    const set = response.cookies.find((c) => c.name === 'cb_admin');
    expect(set).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin' });
    expect(set?.secure).toBeFalsy(); // plain http here; https requests get Secure
    expect(set?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const keys = await server.redis.keys(`${fx.config.REDIS_PREFIX}:admin:session:*`);
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toContain(set?.value);
    const stored = await server.redis.get(keys[0] ?? '');
    expect(stored).not.toContain(TOKENS.root);
    expect(await server.redis.ttl(keys[0] ?? '')).toBeGreaterThan(8 * 3_600 - 10);

    const page = await fx.app.inject({ method: 'GET', url: '/admin', headers: { cookie: cookie ?? '' } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<meta name="csrf-token"');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(page.headers['x-frame-options']).toBe('DENY');
  });

  test('sends a browser without a session to the login form, and answers 401 to JSON calls', async ({
    openApi,
  }) => {
    fx = await openApi();
    const page = await fx.app.inject({ method: 'GET', url: '/admin' });
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe('/admin/login');
    const form = await fx.app.inject({ method: 'GET', url: '/admin/login' });
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('name="token"');
    const api = await fx.app.inject({ method: 'GET', url: '/admin/api/summary' });
    expect(api.statusCode).toBe(401);
    expect(api.json()).toMatchObject({ code: 'UNAUTHORIZED' });
    const forged = await fx.app.inject({
      method: 'GET',
      url: '/admin/api/summary',
      headers: { cookie: 'cb_admin=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
    });
    expect(forged.statusCode).toBe(401);
  });

  test('refuses a submit token: a 403 "admin role required" page and no cookie; bearer submit gets 403 too', async ({
    openApi,
  }) => {
    fx = await openApi();
    const { response, cookie } = await login(fx.app, TOKENS.alice);
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain('Admin role required');
    expect(cookie).toBeUndefined();
    for (const url of ['/admin/api/summary', '/admin/queues', '/admin/queues/api/queues']) {
      const bearer = await fx.app.inject({
        method: 'GET',
        url,
        headers: { authorization: `Bearer ${TOKENS.alice}` },
      });
      expect(bearer.statusCode, url).toBe(403);
    }
    const unknown = await login(fx.app, 'not-a-token-at-all-0000');
    expect(unknown.response.statusCode).toBe(401);
    expect(unknown.response.body).not.toContain('not-a-token-at-all');
  });

  test('logout needs the CSRF token, then deletes the session', async ({ openApi, server }) => {
    fx = await openApi();
    const { cookie = '' } = await login(fx.app, TOKENS.root);
    const csrf = await csrfOf(fx.app, cookie);
    const refused = await fx.app.inject({ method: 'POST', url: '/admin/logout', headers: { cookie } });
    expect(refused.statusCode).toBe(403);
    const out = await fx.app.inject({
      method: 'POST',
      url: '/admin/logout',
      headers: { cookie, 'x-csrf-token': csrf },
    });
    expect(out.statusCode).toBe(204);
    expect(out.cookies.find((c) => c.name === 'cb_admin')?.value).toBe('');
    expect(await server.redis.keys(`${fx.config.REDIS_PREFIX}:admin:session:*`)).toHaveLength(0);
    const after = await fx.app.inject({ method: 'GET', url: '/admin/api/summary', headers: { cookie } });
    expect(after.statusCode).toBe(401);
  });

  test('ends a session whose token left API_TOKENS (a restart with rotated tokens)', async ({ openApi }) => {
    fx = await openApi();
    const { cookie = '' } = await login(fx.app, TOKENS.root);
    const prefix = fx.config.REDIS_PREFIX;
    await fx.app.close();
    const rotated = await openApi({
      REDIS_PREFIX: prefix,
      API_TOKENS: 'root:admin:a-brand-new-admin-token-0000',
    });
    try {
      const response = await rotated.app.inject({
        method: 'GET',
        url: '/admin/api/summary',
        headers: { cookie },
      });
      expect(response.statusCode).toBe(401);
    } finally {
      await rotated.close();
    }
  });

  test('bull-board answers only to an admin: session or bearer', async ({ openApi }) => {
    fx = await openApi();
    const anonymous = await fx.app.inject({ method: 'GET', url: '/admin/queues/api/queues' });
    expect(anonymous.statusCode).toBe(401);
    const page = await fx.app.inject({ method: 'GET', url: '/admin/queues' });
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe('/admin/login?next=queues');
    const form = await fx.app.inject({ method: 'GET', url: '/admin/login?next=queues' });
    expect(form.body).toContain('name="next" value="queues"');
    const back = await fx.app.inject({
      method: 'POST',
      url: '/admin/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ token: TOKENS.root, next: 'queues' }).toString(),
    });
    expect(back.headers.location).toBe('/admin/queues');
    for (const next of ['https://evil.example', '//evil.example', 'constructor', '__proto__']) {
      const elsewhere = await fx.app.inject({
        method: 'POST',
        url: '/admin/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ token: TOKENS.root, next }).toString(),
      });
      expect(elsewhere.headers.location, next).toBe('/admin');
    }
    const { cookie = '' } = await login(fx.app, TOKENS.root);
    const viaSession = await fx.app.inject({
      method: 'GET',
      url: '/admin/queues/api/queues',
      headers: { cookie },
    });
    expect(viaSession.statusCode).toBe(200);
    expect(
      viaSession
        .json()
        .queues.map((q: { name: string }) => q.name)
        .sort(),
    ).toEqual(['jobs', 'webhooks']);
    const viaBearer = await fx.app.inject({
      method: 'GET',
      url: '/admin/queues',
      headers: { authorization: `Bearer ${TOKENS.root}` },
    });
    expect(viaBearer.statusCode).toBe(200);
    expect(viaBearer.body).toContain('<html');
    const crossSite = await fx.app.inject({
      method: 'PUT',
      url: '/admin/queues/api/queues/jobs/pause',
      headers: { cookie, origin: 'https://evil.example' },
    });
    expect(crossSite.statusCode).toBe(403);
  });
});

import { describe, expect, it } from 'vitest';
import { formBody, httpFrom, useListeningDashboard } from './edge-http';
import { TOKENS } from './support/api-kit';

const dashboard = useListeningDashboard();
const open = (env: Record<string, string> = {}) => dashboard.open(env);
const url = () => dashboard.url();

/** What a TLS-terminating proxy at 127.0.0.1 sends on for https://batch.example.com. */
const PUBLIC = 'https://batch.example.com';
const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'batch.example.com', origin: PUBLIC };

function loginVia(from: string, headers: Record<string, string>) {
  const form = formBody({ token: TOKENS.root });
  return httpFrom(from, `${url()}/admin/login`, { ...form, headers: { ...form.headers, ...headers } });
}

const cookieOf = (setCookie: string | string[] | undefined) =>
  (Array.isArray(setCookie) ? setCookie[0] : setCookie) ?? '';

describe('TRUST_PROXY: the dashboard behind a TLS-terminating proxy (real HTTP)', () => {
  it('takes the forwarded scheme and host: the cookie is Secure and the origin check passes', async () => {
    await open({ TRUST_PROXY: '127.0.0.1' });
    const login = await loginVia('127.0.0.1', forwarded);
    expect(login.status).toBe(303);
    const cookie = cookieOf(login.headers['set-cookie']);
    expect(cookie).toMatch(/^cb_admin=[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);

    // A state change with the session: its Origin is the public one, and it is accepted.
    const session = cookie.split(';')[0] ?? '';
    const page = await httpFrom('127.0.0.1', `${url()}/admin`, {
      headers: { cookie: session, 'x-forwarded-proto': 'https', 'x-forwarded-host': 'batch.example.com' },
    });
    const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page.body)?.[1] ?? '';
    expect(csrf).not.toBe('');
    const logout = await httpFrom('127.0.0.1', `${url()}/admin/logout`, {
      method: 'POST',
      headers: { ...forwarded, cookie: session, 'x-csrf-token': csrf },
    });
    expect(logout.status).toBe(204);
    expect(cookieOf(logout.headers['set-cookie'])).toMatch(/; Secure/);
  });

  it('behind the proxy, refuses an Origin that is not the forwarded one', async () => {
    await open({ TRUST_PROXY: 'loopback' });
    const login = await loginVia('127.0.0.1', { ...forwarded, origin: 'https://evil.example' });
    expect(login.status).toBe(403);
    expect(login.json()).toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/cross-origin/) });
    // The socket's own origin is not the browser's any more either.
    const direct = await loginVia('127.0.0.1', { ...forwarded, origin: url() });
    expect(direct.status).toBe(403);
  });

  it('without TRUST_PROXY, or from a peer that is not the proxy, the forwarded headers count for nothing', async () => {
    await open();
    const untrusted = await loginVia('127.0.0.1', forwarded);
    expect(untrusted.status).toBe(403); // Origin https://batch.example.com is not http://127.0.0.1:port
    const plain = await loginVia('127.0.0.1', { 'x-forwarded-proto': 'https', origin: url() });
    expect(plain.status).toBe(303);
    expect(cookieOf(plain.headers['set-cookie'])).not.toMatch(/Secure/);

    await open({ TRUST_PROXY: '10.0.0.1' });
    expect((await loginVia('127.0.0.1', forwarded)).status).toBe(403);
  });
});

describe('probes and their documentation', () => {
  it('answers /healthz and /readyz without a token, and OpenAPI says they need none', async () => {
    await open();
    const health = await httpFrom('127.0.0.1', `${url()}/healthz`);
    expect(health.status).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });
    const ready = await httpFrom('127.0.0.1', `${url()}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.json()).toEqual({ status: 'ok', redis: 'ok' });

    const doc = (await httpFrom('127.0.0.1', `${url()}/docs/json`)).json<{
      security: unknown;
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
    }>();
    expect(doc.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/healthz']?.get?.security).toEqual([]);
    expect(doc.paths['/readyz']?.get?.security).toEqual([]);
    expect(doc.paths['/v1/jobs']?.get?.security).toBeUndefined();
    expect(Object.keys(doc.paths['/v1/jobs']?.post?.responses ?? {})).toEqual(
      expect.arrayContaining(['201', '403', '429', '503']),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { addressKey } from '../src/auth/auth-failures';
import { formBody, httpFrom, useListeningDashboard } from './edge-http';
import { openApi, TOKENS } from './support/api-kit';

const dashboard = useListeningDashboard();
const open = (env: Record<string, string> = {}) => dashboard.open(env);
const url = () => dashboard.url();

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const WRONG = 'wrong-token-0123456789abcdef';

describe('failed authentication, limited per client address before the token check (real HTTP)', () => {
  it('after 30 wrong tokens from one address, it answers 429 even to a valid token; other addresses are unaffected', async () => {
    await open();
    for (let i = 0; i < 30; i += 1) {
      const res = await httpFrom('127.0.0.2', `${url()}/v1/jobs`, bearer(`${WRONG}-${i}`));
      expect(res.status).toBe(401);
    }
    const blocked = await httpFrom('127.0.0.2', `${url()}/v1/jobs`, bearer(TOKENS.alice));
    expect(blocked.status).toBe(429);
    expect(blocked.json()).toMatchObject({
      code: 'AUTH_RATE_LIMITED',
      message: expect.stringMatching(/too many failed authentications from this address \(30 in 900 s\)/),
    });
    const retryAfter = Number(blocked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(800);
    expect(retryAfter).toBeLessThanOrEqual(900);
    // The admin bearer token on the dashboard's JSON: refused the same way, before it is checked.
    const dashboard = await httpFrom('127.0.0.2', `${url()}/admin/api/summary`, bearer(TOKENS.root));
    expect(dashboard.status).toBe(429);
    expect(dashboard.json()).toMatchObject({ code: 'AUTH_RATE_LIMITED' });

    const other = await httpFrom('127.0.0.3', `${url()}/v1/jobs`, bearer(TOKENS.alice));
    expect(other.status).toBe(200);
    const otherWrong = await httpFrom('127.0.0.3', `${url()}/v1/jobs`, bearer(WRONG));
    expect(otherWrong.status).toBe(401);
    // Probes need no token and are never refused for the address's failures.
    expect((await httpFrom('127.0.0.2', `${url()}/healthz`)).status).toBe(200);
    expect((await httpFrom('127.0.0.2', `${url()}/readyz`)).status).toBe(200);
  });

  it('counts no failure for a request without a token, nor for a valid one', async () => {
    await open({ AUTH_FAILURE_LIMIT: '3' });
    for (let i = 0; i < 5; i += 1) {
      expect((await httpFrom('127.0.0.6', `${url()}/v1/jobs`)).status).toBe(401);
      expect((await httpFrom('127.0.0.6', `${url()}/v1/jobs`, bearer(TOKENS.alice))).status).toBe(200);
    }
    for (let i = 0; i < 3; i += 1) {
      expect((await httpFrom('127.0.0.6', `${url()}/v1/jobs`, bearer(WRONG))).status).toBe(401);
    }
    expect((await httpFrom('127.0.0.6', `${url()}/v1/jobs`, bearer(TOKENS.alice))).status).toBe(429);
  });

  it('limits the dashboard login the same way, and counts its failures with the API bearer failures', async () => {
    await open();
    for (let i = 0; i < 15; i += 1) {
      expect((await httpFrom('127.0.0.4', `${url()}/v1/jobs`, bearer(WRONG))).status).toBe(401);
      const login = await httpFrom('127.0.0.4', `${url()}/admin/login`, formBody({ token: `${WRONG}-${i}` }));
      expect(login.status).toBe(401);
    }
    const refused = await httpFrom('127.0.0.4', `${url()}/admin/login`, formBody({ token: TOKENS.root }));
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toMatch(/text\/html/);
    expect(refused.body).toContain('too many failed authentications from this address');
    expect(refused.headers['set-cookie']).toBeUndefined();
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);

    const elsewhere = await httpFrom('127.0.0.5', `${url()}/admin/login`, formBody({ token: TOKENS.root }));
    expect(elsewhere.status).toBe(303);
    expect(String(elsewhere.headers['set-cookie'])).toContain('cb_admin=');
  });

  it('keeps one counter in Redis for every API process, expiring with the window', async () => {
    const first = await open({ AUTH_FAILURE_LIMIT: '2', AUTH_FAILURE_WINDOW_SECONDS: '60' });
    const prefix = first.config.REDIS_PREFIX;
    const second = await openApi(
      dashboard.server(),
      {
        REDIS_PREFIX: prefix,
        AUTH_FAILURE_LIMIT: '2',
        AUTH_FAILURE_WINDOW_SECONDS: '60',
      },
      { dashboard: {} },
    );
    try {
      const secondBase = await second.app.listen({ host: '127.0.0.1', port: 0 });
      expect((await httpFrom('127.0.0.7', `${url()}/v1/jobs`, bearer(WRONG))).status).toBe(401);
      expect((await httpFrom('127.0.0.7', `${secondBase}/v1/jobs`, bearer(WRONG))).status).toBe(401);
      expect((await httpFrom('127.0.0.7', `${url()}/v1/jobs`, bearer(TOKENS.alice))).status).toBe(429);
      const keys = await dashboard.server().redis.keys(`${prefix}:auth-fail:*`);
      expect(keys).toHaveLength(1);
      expect(keys[0]).not.toContain('127.0.0.7');
      const ttl = await dashboard.server().redis.pttl(keys[0] ?? '');
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    } finally {
      await second.close();
    }
  });

  it('behind a trusted proxy counts the forwarded client address; otherwise X-Forwarded-For is ignored', async () => {
    await open({ TRUST_PROXY: '127.0.0.1', AUTH_FAILURE_LIMIT: '3' });
    const via = (client: string, token: string) =>
      httpFrom('127.0.0.1', `${url()}/v1/jobs`, {
        headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': client },
      });
    for (let i = 0; i < 3; i += 1) {
      expect((await via('203.0.113.7', WRONG)).status).toBe(401);
    }
    expect((await via('203.0.113.7', TOKENS.alice)).status).toBe(429);
    expect((await via('203.0.113.8', TOKENS.alice)).status).toBe(200);
    // A peer that is not the proxy cannot choose its address by header.
    const direct = (client: string, token: string) =>
      httpFrom('127.0.0.8', `${url()}/v1/jobs`, {
        headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': client },
      });
    for (let i = 0; i < 3; i += 1) {
      expect((await direct(`198.51.100.${i}`, WRONG)).status).toBe(401);
    }
    expect((await direct('198.51.100.99', TOKENS.alice)).status).toBe(429);
  });
});

describe('addressKey', () => {
  it('counts IPv4 as is (also mapped into IPv6) and IPv6 by its /64', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:0:1:aaaa::1')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:DB8:0000:0001:ffff:1:2:3')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
  });
});

import { describe, expect } from 'vitest';
import { tenantWebhookKey, webhookKey } from '../src/webhooks/signature';
import { apiTest } from './support/api-fixture';
import { auth, type Who } from './support/api-kit';

const test = apiTest({ WEBHOOK_SECRET: 'master-webhook-secret-for-tests' });

describe('GET /v1/webhook-key', () => {
  test('answers each tenant its own key, not to be cached, and its signing scheme', async ({ api }) => {
    const master = webhookKey('master-webhook-secret-for-tests', api.config.SECRETS_KEY);
    const get = (who: Who, query = '') =>
      api.app.inject({ method: 'GET', url: `/v1/webhook-key${query}`, headers: auth(who) });
    const keys = new Set<string>();
    for (const who of ['alice', 'bob', 'root'] as const) {
      const answer = await get(who);
      expect(answer.statusCode).toBe(200);
      expect(answer.headers['cache-control']).toBe('no-store');
      expect(answer.json()).toEqual({
        tenant: who,
        key: tenantWebhookKey(master, who),
        algorithm: 'HMAC-SHA256',
        signatureHeader: 'x-clore-batch-signature',
        timestampHeader: 'x-clore-batch-timestamp',
        signed: 'sha256=<hex HMAC-SHA256(key, "<timestamp>.<raw body>")>',
      });
      keys.add(answer.json().key);
    }
    expect(keys.size).toBe(3);
    expect(keys.has(master)).toBe(false);
    // Naming oneself is allowed.
    expect((await get('alice', '?tenant=alice')).json().key).toBe(tenantWebhookKey(master, 'alice'));
  });

  test("a submit token cannot read another tenant's key; an admin token can read any tenant's", async ({
    api,
  }) => {
    const master = webhookKey('master-webhook-secret-for-tests', api.config.SECRETS_KEY);
    const get = (who: Who, query: string) =>
      api.app.inject({ method: 'GET', url: `/v1/webhook-key${query}`, headers: auth(who) });
    for (const [who, other] of [
      ['alice', 'bob'],
      ['bob', 'alice'],
      ['alice', 'root'],
    ] as const) {
      const refused = await get(who, `?tenant=${other}`);
      expect(refused.statusCode).toBe(403);
      expect(refused.json().code).toBe('FORBIDDEN');
      expect(refused.body).not.toContain(tenantWebhookKey(master, other));
    }
    const asAdmin = await get('root', '?tenant=bob');
    expect(asAdmin.statusCode).toBe(200);
    expect(asAdmin.json()).toMatchObject({ tenant: 'bob', key: tenantWebhookKey(master, 'bob') });
    const unknown = await get('root', '?tenant=nobody');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('NOT_FOUND');
    const unauthenticated = await api.app.inject({ method: 'GET', url: '/v1/webhook-key' });
    expect(unauthenticated.statusCode).toBe(401);
  });

  test('is in the OpenAPI document', async ({ api }) => {
    const doc = (await api.app.inject({ method: 'GET', url: '/docs/json' })).json();
    const route = doc.paths['/v1/webhook-key'].get;
    expect(route.summary).toContain('webhook signing key');
    expect(route.parameters.map((p: { name: string }) => p.name)).toEqual(['tenant']);
    expect(Object.keys(route.responses)).toEqual(expect.arrayContaining(['200', '403', '404']));
  });
});

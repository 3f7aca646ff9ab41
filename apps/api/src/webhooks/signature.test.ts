import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signWebhook, tenantWebhookKey, verifyWebhook, webhookKey } from './signature';

describe('webhook signatures', () => {
  const body = '{"state":"succeeded"}';

  it('signs "<timestamp>.<body>" with HMAC-SHA256, as documented for receivers', () => {
    const expected = createHmac('sha256', 'k'.repeat(16)).update(`1700000000.${body}`).digest('hex');
    expect(signWebhook('k'.repeat(16), 1_700_000_000, body)).toBe(`sha256=${expected}`);
  });

  it('verifies a fresh signature and refuses a changed body, another key or an old timestamp', () => {
    const key = 'k'.repeat(16);
    const signature = signWebhook(key, 1_700_000_000, body);
    const headers = { timestamp: '1700000000', signature };
    expect(verifyWebhook(key, headers, body, { nowSeconds: 1_700_000_010 })).toBe(true);
    expect(verifyWebhook(key, headers, `${body} `, { nowSeconds: 1_700_000_010 })).toBe(false);
    expect(verifyWebhook('x'.repeat(16), headers, body, { nowSeconds: 1_700_000_010 })).toBe(false);
    expect(verifyWebhook(key, headers, body, { nowSeconds: 1_700_001_000 })).toBe(false);
  });

  it('derives the key from SECRETS_KEY when WEBHOOK_SECRET is unset (openssl-reproducible)', () => {
    const derived = createHmac('sha256', 's'.repeat(32)).update('clore-batch/webhook').digest('hex');
    expect(webhookKey(undefined, 's'.repeat(32))).toBe(derived);
    expect(webhookKey('given-secret-123456', 's'.repeat(32))).toBe('given-secret-123456');
  });

  it("derives a tenant's key from the master key and its name, as the documented openssl line does", () => {
    const master = webhookKey(undefined, 's'.repeat(32));
    const alice = tenantWebhookKey(master, 'alice');
    expect(alice).toMatch(/^[0-9a-f]{64}$/);
    expect(alice).toBe(createHmac('sha256', master).update('clore-batch/webhook/tenant/alice').digest('hex'));
    expect(tenantWebhookKey(master, 'bob')).not.toBe(alice);
    expect(tenantWebhookKey(webhookKey('another-master-key', 's'.repeat(32)), 'alice')).not.toBe(alice);
    const openssl = spawnSync('openssl', ['dgst', '-sha256', '-hmac', master], {
      input: 'clore-batch/webhook/tenant/alice',
      encoding: 'utf8',
    });
    if (openssl.status === 0) {
      expect(openssl.stdout.trim().split(' ').at(-1)).toBe(alice);
    }
  });
});

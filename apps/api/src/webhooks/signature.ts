import { createHmac, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'x-clore-batch-timestamp';
export const SIGNATURE_HEADER = 'x-clore-batch-signature';

/**
 * The webhook key: WEBHOOK_SECRET, or when unset one derived from SECRETS_KEY, which an operator
 * computes with `printf 'clore-batch/webhook' | openssl dgst -sha256 -hmac "$SECRETS_KEY"` (hex).
 */
export function webhookKey(webhookSecret: string | undefined, secretsKey: string): string {
  return webhookSecret ?? createHmac('sha256', secretsKey).update('clore-batch/webhook').digest('hex');
}

/** What is HMACed with the master key to make a tenant's key: this, then the tenant (token) name. */
export const TENANT_KEY_CONTEXT = 'clore-batch/webhook/tenant/';

/**
 * A tenant's webhook key (every webhook of the jobs it owns is signed with it): hex HMAC-SHA256 of
 * `clore-batch/webhook/tenant/<name>` under the master key (`webhookKey`), which an operator computes
 * with `printf 'clore-batch/webhook/tenant/%s' "$NAME" | openssl dgst -sha256 -hmac "$MASTER"`
 * (docs/decisions/0134). One tenant's key tells nothing of another's or of the master key.
 */
export function tenantWebhookKey(masterKey: string, tenant: string): string {
  return createHmac('sha256', masterKey).update(`${TENANT_KEY_CONTEXT}${tenant}`).digest('hex');
}

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`. */
export function signWebhook(key: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What a receiver does: recompute, compare in constant time, and refuse stale timestamps. */
export function verifyWebhook(
  key: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  body: string,
  options: { nowSeconds?: number; toleranceSeconds?: number } = {},
): boolean {
  const timestamp = Number(headers.timestamp);
  if (!Number.isInteger(timestamp) || headers.signature === undefined) {
    return false;
  }
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1_000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) {
    return false;
  }
  const expected = Buffer.from(signWebhook(key, timestamp, body));
  const given = Buffer.from(headers.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

import { createHmac } from 'node:crypto';
import type { SecretKey } from '../crypto/secret-box';

/** JSON with object keys sorted at every level, so equal bodies hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/**
 * The idempotency request hash of a submitted body. Keyed (HMAC with the secrets key) because the
 * body holds `secretEnv` values: a plain hash stored in Redis would let someone who can read Redis
 * test guesses of a weak secret against it.
 */
export function requestHash(body: unknown, key: SecretKey): string {
  return createHmac('sha256', key).update(canonicalJson(body)).digest('base64url');
}

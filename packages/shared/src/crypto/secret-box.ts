import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { AppError } from '../errors/app-error';

/**
 * Authenticated encryption (AES-256-GCM) for secrets at rest: a job's `secretEnv` and its SSH
 * private key. The key is derived from `SECRETS_KEY` with HKDF, so any long random string works.
 * Sealed text: `v1.<iv>.<tag>.<ciphertext>` (base64url), safe to store in Redis.
 */
const VERSION = 'v1';

export type SecretKey = Buffer & { readonly __secretKey: unique symbol };

export function deriveSecretKey(secretsKey: string, purpose = 'clore-batch/secret-box'): SecretKey {
  const salt = createHash('sha256').update('clore-batch').digest();
  return Buffer.from(hkdfSync('sha256', secretsKey, salt, purpose, 32)) as SecretKey;
}

export function sealSecret(key: SecretKey, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, iv.toString('base64url'), tag.toString('base64url'), body.toString('base64url')].join('.');
}

export function openSecret(key: SecretKey, sealed: string): string {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== VERSION || !iv || !tag || body === undefined) {
    throw new AppError('SECRET_DECRYPT_FAILED', 'sealed secret is not in the v1 format');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  } catch (cause) {
    throw new AppError(
      'SECRET_DECRYPT_FAILED',
      'a stored secret could not be decrypted (is SECRETS_KEY the one it was sealed with?)',
      { cause },
    );
  }
}

/** Seal a JSON value (e.g. a `secretEnv` object). */
export function sealJson(key: SecretKey, value: unknown): string {
  return sealSecret(key, JSON.stringify(value));
}

export function openJson<T>(key: SecretKey, sealed: string): T {
  return JSON.parse(openSecret(key, sealed)) as T;
}

/** A stable, non-reversible short id for a secret (e.g. to name Redis keys after an API key). */
export function fingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 16);
}

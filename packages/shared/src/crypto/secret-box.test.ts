import { describe, expect, it } from 'vitest';
import { deriveSecretKey, fingerprint, openJson, openSecret, sealJson, sealSecret } from './secret-box';

describe('secret box', () => {
  const key = deriveSecretKey('a-long-random-secrets-key-for-tests-0123456789');

  it('round-trips and never contains the plaintext', () => {
    const sealed = sealSecret(key, 'hf_supersecret');
    expect(sealed).not.toContain('hf_supersecret');
    expect(sealed.startsWith('v1.')).toBe(true);
    expect(openSecret(key, sealed)).toBe('hf_supersecret');
    expect(openJson(key, sealJson(key, { A: '1' }))).toEqual({ A: '1' });
  });

  it('uses a fresh nonce each time', () => {
    expect(sealSecret(key, 'x')).not.toBe(sealSecret(key, 'x'));
  });

  it('refuses a wrong key or a tampered text with SECRET_DECRYPT_FAILED', () => {
    const sealed = sealSecret(key, 'secret');
    const other = deriveSecretKey('another-long-random-secrets-key-0123456789');
    expect(() => openSecret(other, sealed)).toThrow(
      expect.objectContaining({ code: 'SECRET_DECRYPT_FAILED' }),
    );
    const tampered = `${sealed.slice(0, -2)}AA`;
    expect(() => openSecret(key, tampered)).toThrow(
      expect.objectContaining({ code: 'SECRET_DECRYPT_FAILED' }),
    );
    expect(() => openSecret(key, 'garbage')).toThrow(
      expect.objectContaining({ code: 'SECRET_DECRYPT_FAILED' }),
    );
  });

  it('fingerprints are stable, short and not the secret', () => {
    expect(fingerprint('K-1')).toBe(fingerprint('K-1'));
    expect(fingerprint('K-1')).toHaveLength(16);
    expect(fingerprint('K-1')).not.toContain('K-1');
  });
});

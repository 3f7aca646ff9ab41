import { describe, expect, it } from 'vitest';
import { deriveSecretKey } from '../crypto/secret-box';
import { canonicalJson, requestHash } from './request-hash';

const key = deriveSecretKey('a-secrets-key-long-enough-for-tests-0123456789');

describe('requestHash', () => {
  it('is equal for bodies that differ only in key order', () => {
    const a = { gpu: { model: 'A100', count: 1 }, env: { B: '2', A: '1' }, outputs: ['/b', '/a'] };
    const b = { outputs: ['/b', '/a'], env: { A: '1', B: '2' }, gpu: { count: 1, model: 'A100' } };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(requestHash(a, key)).toBe(requestHash(b, key));
  });

  it('differs for other bodies and other keys, and does not contain the body', () => {
    const body = { secretEnv: { TOKEN: 'hunter2' } };
    expect(requestHash(body, key)).not.toBe(requestHash({ secretEnv: { TOKEN: 'hunter3' } }, key));
    expect(requestHash(body, key)).not.toBe(
      requestHash(body, deriveSecretKey('another-key-long-enough-0123456789')),
    );
    expect(requestHash(body, key)).not.toContain('hunter2');
  });
});

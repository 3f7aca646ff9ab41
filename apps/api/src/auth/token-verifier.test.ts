import { describe, expect, it } from 'vitest';
import { bearerToken, createTokenVerifier } from './token-verifier';

describe('token verifier', () => {
  const verify = createTokenVerifier([
    { name: 'alice', role: 'submit', token: 'alice-token-0123456789' },
    { name: 'ops', role: 'admin', token: 'ops-token-0123456789ab' },
  ]);

  it('finds the principal for an exact token only', () => {
    expect(verify('alice-token-0123456789')).toEqual({ name: 'alice', role: 'submit' });
    expect(verify('ops-token-0123456789ab')).toEqual({ name: 'ops', role: 'admin' });
    expect(verify('alice-token-012345678')).toBeUndefined();
    expect(verify('alice-token-01234567890')).toBeUndefined();
    expect(verify('')).toBeUndefined();
  });

  it('reads only "Bearer <token>" headers', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer   abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});

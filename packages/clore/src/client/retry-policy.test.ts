import { describe, expect, it } from 'vitest';
import { CloreApiError } from '../errors/clore-api-error';
import { CloreBadResponseError } from '../errors/clore-bad-response-error';
import { CloreTransportError } from '../errors/clore-transport-error';
import { backoffDelayMs, isRetryable, retryPolicy } from './retry-policy';

describe('backoffDelayMs', () => {
  it('doubles per attempt, caps, and jitters within [0.5, 1) of the step', () => {
    const policy = retryPolicy({ baseDelayMs: 1_000, maxDelayMs: 5_000 });
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(policy, n, () => 0.999_999))).toEqual([
      1_000, 2_000, 4_000, 5_000,
    ]);
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(policy, n, () => 0))).toEqual([500, 1_000, 2_000, 2_500]);
  });

  it('defaults to 4 attempts and never fewer than 1', () => {
    expect(retryPolicy().maxAttempts).toBe(4);
    expect(retryPolicy({ maxAttempts: 0 }).maxAttempts).toBe(1);
  });
});

describe('isRetryable', () => {
  const api = (apiCode: number, endpoint: 'create_order' | 'my_orders' = 'my_orders') =>
    new CloreApiError({ endpoint, apiCode, httpStatus: 200 });

  it('retries code 5 everywhere and code 1 except on create_order', () => {
    expect(isRetryable(api(5), false)).toBe(true);
    expect(isRetryable(api(5, 'create_order'), true)).toBe(true);
    expect(isRetryable(api(1), false)).toBe(true);
    expect(isRetryable(api(1, 'create_order'), true)).toBe(false);
    expect(isRetryable(api(6), false)).toBe(false);
    expect(isRetryable(api(3), false)).toBe(false);
  });

  it('retries transport errors, but a create only when the request never left', () => {
    const timeout = new CloreTransportError({ endpoint: 'create_order', kind: 'timeout' });
    const refused = new CloreTransportError({ endpoint: 'create_order', kind: 'connect' });
    expect(isRetryable(timeout, false)).toBe(true);
    expect(isRetryable(timeout, true)).toBe(false);
    expect(isRetryable(refused, true)).toBe(true);
    expect(isRetryable(new CloreBadResponseError('wallets', ['wallets missing']), false)).toBe(false);
    expect(isRetryable(new Error('boom'), false)).toBe(false);
  });
});

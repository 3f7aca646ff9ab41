import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter';

describe('RateLimiter', () => {
  it('allows a call only generalMs after the previous allowed call; rejected calls do not move the window', () => {
    let now = 0;
    const limiter = new RateLimiter({ generalMs: 1000, createMs: 5000 }, () => now);
    expect(limiter.tryAcquire('a', false)).toBe(true);
    now = 600;
    expect(limiter.tryAcquire('a', false)).toBe(false);
    now = 999;
    expect(limiter.tryAcquire('a', false)).toBe(false);
    now = 1000;
    expect(limiter.tryAcquire('a', false)).toBe(true);
  });

  it('limits each key on its own', () => {
    const limiter = new RateLimiter({ generalMs: 1000, createMs: 5000 }, () => 0);
    expect(limiter.tryAcquire('a', false)).toBe(true);
    expect(limiter.tryAcquire('b', false)).toBe(true);
    expect(limiter.tryAcquire('a', false)).toBe(false);
  });

  it('a create needs createMs since the previous allowed create and also uses a general slot', () => {
    let now = 0;
    const limiter = new RateLimiter({ generalMs: 1000, createMs: 5000 }, () => now);
    expect(limiter.tryAcquire('a', true)).toBe(true);
    now = 1000;
    expect(limiter.tryAcquire('a', true)).toBe(false);
    expect(limiter.tryAcquire('a', false)).toBe(true);
    now = 4999;
    expect(limiter.tryAcquire('a', true)).toBe(false);
    now = 5000;
    expect(limiter.tryAcquire('a', true)).toBe(true);
    now = 5500;
    expect(limiter.tryAcquire('a', false)).toBe(false);
  });
});

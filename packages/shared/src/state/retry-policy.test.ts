import { describe, expect, it } from 'vitest';
import {
  afterAttemptFailure,
  afterProvisionFailure,
  attemptsLeft,
  backoffMs,
  type RetryFacts,
} from './retry-policy';

/** A record with `attempts` recorded attempts, `retries` retry events and `maxAttempts`. */
function job(attempts: number, retries: number, maxAttempts = 3, provisionFailures?: number): RetryFacts {
  return {
    spec: { maxAttempts },
    attempts: Array.from({ length: attempts }, () => ({})),
    events: Array.from({ length: retries }, () => ({ event: 'retry' })),
    ...(provisionFailures === undefined ? {} : { provisionFailures }),
  };
}

describe('the retry policy (from the record alone)', () => {
  it('retries a retryable attempt failure while attempts remain, then fails', () => {
    expect(afterAttemptFailure(job(1, 0), 'preempted')).toBe('retry');
    expect(afterAttemptFailure(job(2, 1), 'ssh_error')).toBe('retry');
    expect(afterAttemptFailure(job(3, 2), 'ssh_error')).toBe('fail');
    expect(afterAttemptFailure(job(1, 0), 'command_failed')).toBe('fail');
    expect(afterAttemptFailure(job(1, 0, 10), 'budget_exceeded')).toBe('fail');
  });

  it('counts a retry written before any attempt was recorded as an attempt used', () => {
    expect(attemptsLeft(job(0, 0))).toBe(2);
    expect(attemptsLeft(job(0, 2))).toBe(0);
    expect(afterAttemptFailure(job(1, 2), 'provider_error')).toBe('fail');
  });

  it('gives provisioning failures before an attempt their own maxAttempts, counted in the record', () => {
    expect(afterProvisionFailure(job(0, 0), 'provider_error')).toBe('retry');
    expect(afterProvisionFailure(job(0, 0, 3, 1), 'provider_error')).toBe('retry');
    // The third failure (two already recorded) of a job with maxAttempts 3 fails it, after a restart too.
    expect(afterProvisionFailure(job(0, 0, 3, 2), 'provider_error')).toBe('fail');
    expect(afterProvisionFailure(job(0, 0), 'no_matching_server')).toBe('fail');
    expect(afterProvisionFailure(job(0, 0, 1), 'provider_error')).toBe('fail');
  });

  it('backs off exponentially from the base, capped', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, 1_000))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(backoffMs(30, 2_000, 3_600_000)).toBe(3_600_000);
  });
});

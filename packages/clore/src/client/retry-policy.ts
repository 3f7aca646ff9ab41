import { hasErrorCode } from '@clore-batch/shared';

export interface RetryOptions {
  /** Attempts in total, the first included (default 4). 1 turns retrying off. */
  maxAttempts?: number;
  /** Delay before the first retry, before jitter (default 1 000 ms). */
  baseDelayMs?: number;
  /** Cap on any one delay (default 16 000 ms). */
  maxDelayMs?: number;
}

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export function retryPolicy(options: RetryOptions = {}): RetryPolicy {
  return {
    maxAttempts: Math.max(1, Math.floor(options.maxAttempts ?? 4)),
    baseDelayMs: options.baseDelayMs ?? 1_000,
    maxDelayMs: options.maxDelayMs ?? 16_000,
  };
}

/**
 * Exponential backoff with jitter: attempt 1 failed → about base, 2 → 2×base, ... capped, each
 * scaled by a random factor in [0.5, 1) so that processes hit by the same 429 spread out.
 */
export function backoffDelayMs(policy: RetryPolicy, failedAttempt: number, random: () => number): number {
  const exponential = policy.baseDelayMs * 2 ** Math.max(0, failedAttempt - 1);
  const capped = Math.min(policy.maxDelayMs, exponential);
  return Math.round(capped * (0.5 + random() / 2));
}

/**
 * Whether the client itself may repeat a failed call. Code 5 / 429, code 1 and transport errors
 * are repeated, except that a create_order is never repeated when the request may have reached the
 * server (lost answer) or answered code 1: the caller looks the order up first (Part A §3).
 */
export function isRetryable(error: unknown, isCreate: boolean): boolean {
  if (!hasErrorCode(error)) {
    return false;
  }
  const details = ((error as { details?: unknown }).details ?? {}) as Record<string, unknown>;
  switch (error.code) {
    case 'CLORE_RATE_LIMITED':
      return true;
    case 'CLORE_API_ERROR':
      return details.apiCode === 1 && !isCreate;
    case 'CLORE_TIMEOUT':
    case 'CLORE_TRANSPORT_ERROR':
      return !isCreate || details.mayHaveReachedServer === false;
    default:
      return false;
  }
}

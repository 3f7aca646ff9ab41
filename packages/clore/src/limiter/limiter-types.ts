import type { Lane } from '../endpoints';

export interface AcquireRequest {
  lane: Lane;
  /** A create_order: also needs the create spacing. */
  isCreate: boolean;
  /** Give up waiting (the slot is not taken). */
  signal?: AbortSignal | undefined;
}

export interface AcquireResult {
  /** From the call to acquire() until the caller may send. */
  waitedMs: number;
}

/** What the client needs from a rate limiter (createRateLimiter builds the shared Redis one). */
export interface CallLimiter {
  /** Resolve when the caller may send one request now. */
  acquire(request: AcquireRequest): Promise<AcquireResult>;
  /** The API answered code 5: push the shared schedule back by `ms` for every process. */
  penalize(ms: number): Promise<void>;
}

import { randomBytes } from 'node:crypto';
import { AppError, abortableSleep } from '@clore-batch/shared';
import type { Redis } from 'ioredis';

/**
 * A short per-tenant mutex in Redis around "check the tenant's limits, then create its job", so two
 * submits of one tenant (in one API process or several) never both pass a cap only one fits
 * (docs/decisions/0129). SET NX PX with a random token; released by compare-and-delete. A holder
 * that dies frees it after `ttlMs`. Waiters poll with a growing, jittered pause (the lock is held
 * for a few milliseconds: one usage read and one create).
 */
export interface TenantLockOptions {
  /** How long the lock lives unless released or confirmed again. */
  ttlMs?: number;
  /** How long a submit waits for the lock before TENANT_BUSY. */
  waitMs?: number;
}

export interface HeldLock {
  /**
   * Call right before the write it guards: extends the lock by its TTL if this holder still has it,
   * else throws TENANT_BUSY (the check took longer than the TTL and another submit may have passed).
   */
  confirm(): Promise<void>;
}

/** KEYS[1] lock. ARGV[1] token, ARGV[2] ttl ms ('' = release). */
const EXTEND_OR_RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
`;

const busy = (tenant: string, why: string) =>
  new AppError('TENANT_BUSY', `the limit check of tenant "${tenant}" is busy (${why}); retry the submit`);

export async function withTenantLock<T>(
  redis: Redis,
  key: string,
  tenant: string,
  run: (lock: HeldLock) => Promise<T>,
  options: TenantLockOptions = {},
): Promise<T> {
  const ttlMs = options.ttlMs ?? 10_000;
  const deadline = Date.now() + (options.waitMs ?? 10_000);
  const token = randomBytes(16).toString('hex');
  let pauseMs = 2;
  while ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') {
    if (Date.now() >= deadline) {
      throw busy(tenant, 'other submits held it too long');
    }
    await abortableSleep(pauseMs + Math.random() * pauseMs);
    pauseMs = Math.min(pauseMs * 2, 50);
  }
  const lock: HeldLock = {
    async confirm() {
      if ((await redis.eval(EXTEND_OR_RELEASE, 1, key, token, ttlMs)) !== 1) {
        throw busy(tenant, 'its lock expired during the check');
      }
    },
  };
  try {
    return await run(lock);
  } finally {
    await redis.eval(EXTEND_OR_RELEASE, 1, key, token, '').catch(() => undefined);
  }
}

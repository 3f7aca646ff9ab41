import type { Redis } from 'ioredis';
import { storeKeys } from './keys';

/**
 * The job an earlier submit of `owner` created under `idempotencyKey`, if the key is still held
 * (24 h), whatever its request hash: a repeat, or a conflict `create` will refuse. Read-only. The
 * API asks before checking tenant limits, which never refuse a repeat (docs/decisions/0129).
 */
export async function idempotentJobId(
  redis: Redis,
  prefix: string,
  owner: string,
  idempotencyKey: string,
): Promise<string | undefined> {
  const value = await redis.get(storeKeys(prefix).idempotency(owner, idempotencyKey));
  if (value === null) {
    return undefined;
  }
  const end = value.indexOf('\n');
  return end === -1 ? value : value.slice(0, end);
}

/** The sweep an earlier POST /v1/sweeps of `owner` made under `idempotencyKey`, like idempotentJobId. */
export async function idempotentSweepId(
  redis: Redis,
  prefix: string,
  owner: string,
  idempotencyKey: string,
): Promise<string | undefined> {
  const value = await redis.get(storeKeys(prefix).sweepIdempotency(owner, idempotencyKey));
  return value === null ? undefined : value.split('\n', 1)[0];
}

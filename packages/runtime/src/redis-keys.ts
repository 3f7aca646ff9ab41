import type { Redis } from 'ioredis';

/**
 * Delete every key under `<prefix>:` (SCAN + UNLINK in batches), nothing outside it: how a sandbox
 * run or a test leaves a shared Redis as it found it, without a FLUSH.
 */
export async function deleteKeysUnder(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) {
      await redis.unlink(...keys);
    }
  } while (cursor !== '0');
}

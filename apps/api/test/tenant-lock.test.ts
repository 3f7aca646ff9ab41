import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenantLock } from '../src/submission/tenant-lock';
import { type RedisServer, startRedisServer } from './support/api-kit';

let server: RedisServer;

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server.stop();
});

const key = () => `test-${randomUUID()}:tenant:lock`;

describe('withTenantLock', () => {
  it('runs holders one at a time and frees the lock after each', async () => {
    const k = key();
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        withTenantLock(server.redis, k, 'alice', async (lock) => {
          inside += 1;
          most = Math.max(most, inside);
          await new Promise<void>((resolve) => setImmediate(resolve));
          await lock.confirm();
          order.push(i);
          inside -= 1;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(order.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(await server.redis.exists(k)).toBe(0);
  });

  it('answers TENANT_BUSY when another holder keeps it past the wait', async () => {
    const k = key();
    await server.redis.set(k, 'someone-else', 'PX', 60_000);
    const started = Date.now();
    await expect(
      withTenantLock(server.redis, k, 'alice', async () => 'never', { waitMs: 200 }),
    ).rejects.toMatchObject({ code: 'TENANT_BUSY', status: 503, retryable: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(await server.redis.get(k)).toBe('someone-else'); // not released by a non-holder
  });

  it('refuses to write when its lock expired during the check and another submit took it', async () => {
    const k = key();
    await expect(
      withTenantLock(
        server.redis,
        k,
        'alice',
        async (lock) => {
          await server.redis.set(k, 'the-next-holder', 'PX', 60_000); // as after our TTL ran out
          await lock.confirm();
          return 'created';
        },
        { ttlMs: 50 },
      ),
    ).rejects.toMatchObject({
      code: 'TENANT_BUSY',
      message: expect.stringMatching(/expired during the check/),
    });
    expect(await server.redis.get(k)).toBe('the-next-holder');
  });
});

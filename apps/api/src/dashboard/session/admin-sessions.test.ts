import { createHash, randomUUID } from 'node:crypto';
import { redisKeys } from '@clore-batch/shared';
import { type RedisHandle, startRedis, trackRedis } from '@clore-batch/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminSessions } from './admin-sessions';

let redisHandle: RedisHandle;
let redis: Redis;

beforeAll(async () => {
  redisHandle = await startRedis();
  redis = trackRedis(new Redis(redisHandle.url, { maxRetriesPerRequest: 1 }));
});
afterAll(async () => {
  await redis.quit();
  await redisHandle.stop();
});

describe('admin sessions in Redis', () => {
  it('stores a session under its registry key; a value that is not a session opens nothing', async () => {
    const prefix = `test-${randomUUID()}`;
    const token = `root-${randomUUID()}`;
    const sessions = createAdminSessions({
      redis,
      prefix,
      tokens: [{ name: 'root', role: 'admin', token }],
      key: Buffer.alloc(32, 7),
    });
    const { sessionId } = await sessions.create(token);
    const key = redisKeys(prefix).adminSession(createHash('sha256').update(sessionId).digest('hex'));
    expect(redisKeys(prefix).describes(key)?.pattern).toBe('admin:session:<hex>');
    expect(await sessions.get(sessionId)).toMatchObject({ name: 'root' });
    for (const bad of [
      '{}',
      '{"name": "root"',
      JSON.stringify({ name: 'root', tokenMac: 1, createdAt: 'x' }),
    ]) {
      await redis.set(key, bad);
      expect(await sessions.get(sessionId), bad).toBeUndefined();
    }
  });
});

import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { it } from './fixtures';

describe('the Redis fixtures', () => {
  const seen: { url?: string; prefix?: string; dataDir?: string } = {};

  it('give a test a Redis client, a fresh prefix and a data directory', async ({
    redisServer,
    redis,
    prefix,
    dataDir,
  }) => {
    expect(prefix).toMatch(/^test-[0-9a-f-]{36}$/);
    await redis.set(`${prefix}:a`, '1');
    await redis.set(`${prefix}:b`, '2');
    await writeFile(join(dataDir, 'f'), 'x');
    Object.assign(seen, { url: redisServer.url, prefix, dataDir });
  });

  it('share one Redis across the file, and clean up each test after it', async ({
    redisServer,
    redis,
    prefix,
  }) => {
    expect(redisServer.url).toBe(seen.url);
    expect(prefix).not.toBe(seen.prefix);
    expect(await redis.keys(`${seen.prefix}:*`)).toEqual([]);
    expect(existsSync(seen.dataDir ?? '')).toBe(false);
  });
});

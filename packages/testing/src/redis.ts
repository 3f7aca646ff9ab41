import { startRedisServer } from '@clore-batch/runtime';

export interface RedisHandle {
  url: string;
  /** How it was obtained: the given REDIS_URL, a container, or a spawned redis-server. */
  via: 'REDIS_URL' | 'testcontainers' | 'redis-server';
  /** Stop what this handle started (a no-op for REDIS_URL). */
  stop(): Promise<void>;
  /** Only for a spawned redis-server: restart it on the same port (AOF keeps data when enabled). */
  restart?(): Promise<void>;
}

export interface StartRedisOptions {
  /** Ignore REDIS_URL and start a private server (chaos tests that restart Redis). */
  private?: boolean;
  /** Append-only file on (a spawned server only). */
  appendOnly?: boolean;
  /** Try testcontainers first when a Docker engine answers (default true). */
  tryContainers?: boolean;
}

/**
 * A real Redis for a test: REDIS_URL when given; else testcontainers when a Docker engine answers;
 * else `redis-server` spawned on a free port (@clore-batch/runtime's `startRedisServer`, which is
 * what the sandbox runs). See docs/decisions/0003-test-helpers.md and 0126.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisHandle> {
  const given = process.env.REDIS_URL;
  if (given && !options.private) {
    return { url: given, via: 'REDIS_URL', stop: async () => {} };
  }
  if (options.tryContainers !== false && !options.appendOnly) {
    const container = await tryContainer();
    if (container) {
      return container;
    }
  }
  const server = await startRedisServer({ appendOnly: options.appendOnly ?? false });
  return { url: server.url, via: 'redis-server', stop: server.stop, restart: server.restart };
}

async function tryContainer(): Promise<RedisHandle | undefined> {
  try {
    // Imported lazily inside try: with no engine, start() rejects within milliseconds.
    const { RedisContainer } = await import('@testcontainers/redis');
    const container = await new RedisContainer('redis:7-alpine').start();
    return {
      url: container.getConnectionUrl(),
      via: 'testcontainers',
      stop: async () => void (await container.stop()),
    };
  } catch {
    return undefined;
  }
}

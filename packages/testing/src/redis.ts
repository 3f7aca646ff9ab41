import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { captureOutput, spawnTracked, stopChild } from './child';
import { freePort } from './free-port';
import { waitFor } from './wait-for';

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
 * A real Redis for a test or the sandbox: REDIS_URL when given; else testcontainers when a Docker
 * engine answers; else `redis-server` spawned on a free port. See docs/decisions/0003-test-helpers.md.
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
  return spawnRedis(options.appendOnly ?? false);
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

async function spawnRedis(appendOnly: boolean): Promise<RedisHandle> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'cb-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
  args.push('--appendonly', appendOnly ? 'yes' : 'no', '--appendfsync', 'always');
  let child = spawnTracked('redis-server', args);
  let output = captureOutput(child);
  const url = `redis://127.0.0.1:${port}`;
  const ready = () => waitUntilPing(url, output);
  await ready();
  return {
    url,
    via: 'redis-server',
    async stop() {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
    async restart() {
      await stopChild(child);
      child = spawnTracked('redis-server', args);
      output = captureOutput(child);
      await ready();
    },
  };
}

async function waitUntilPing(url: string, output: () => string): Promise<void> {
  await waitFor(
    async () => {
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => {});
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } finally {
        probe.disconnect();
      }
    },
    { timeoutMs: 10_000, message: `redis-server at ${url} answering PING` },
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${output()}`);
  });
}

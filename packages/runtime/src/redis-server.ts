import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { captureOutput, killChild, spawnTracked, stopChild } from './child';
import { freePort } from './ports';
import { waitFor } from './wait-for';

export interface RedisServerHandle {
  /** `redis://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Stop the server and delete its directory. */
  stop(): Promise<void>;
  /** Restart it on the same port (the append-only file, when on, keeps the data). */
  restart(): Promise<void>;
  /** SIGKILL it (a crash: no shutdown, no last write to replicas) and delete its directory. */
  kill(): Promise<void>;
  /** Send the process a signal (SIGSTOP / SIGCONT: freeze it, as a stalled host). */
  signal(signal: NodeJS.Signals): void;
}

export interface StartRedisServerOptions {
  /** Append-only file on, fsync on every write (tests that restart Redis). Default off. */
  appendOnly?: boolean;
  /** Listen on this port instead of a free one (e.g. a server "coming back" where one stopped). */
  port?: number;
  /** More redis-server arguments (e.g. `--replicaof 127.0.0.1 <port>`, `--tls-port ...`). */
  args?: readonly string[];
}

/**
 * A private `redis-server` on 127.0.0.1 (a free port unless given), in its own temporary directory,
 * with no snapshots; resolves once it answers PING. The sandbox runs its Redis with this, and the
 * test fixtures build on it (see docs/decisions/0003-test-helpers.md).
 */
export async function startRedisServer(options: StartRedisServerOptions = {}): Promise<RedisServerHandle> {
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), 'cb-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
  args.push('--appendonly', options.appendOnly ? 'yes' : 'no', '--appendfsync', 'always');
  args.push(...(options.args ?? []));
  const url = `redis://127.0.0.1:${port}`;
  let child = spawnTracked('redis-server', args);
  let output = captureOutput(child);
  const ready = () => waitUntilPing(url, output);
  await ready().catch(async (error: unknown) => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
    throw error;
  });
  return {
    url,
    port,
    async stop() {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
    signal(signal) {
      if (child.pid !== undefined) {
        process.kill(child.pid, signal);
      }
    },
    async kill() {
      await killChild(child);
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

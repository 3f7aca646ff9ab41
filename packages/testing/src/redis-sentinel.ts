import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  captureOutput,
  freePort,
  type RedisServerHandle,
  spawnTracked,
  startRedisServer,
  stopChild,
  waitFor,
} from '@clore-batch/runtime';
import { Redis } from 'ioredis';

export interface SentinelGroupHandle {
  /** The master group name the sentinels monitor. */
  name: string;
  /** The servers as started: `servers[0]` the first master, the rest its replicas. */
  servers: RedisServerHandle[];
  /** The sentinels' ports. */
  sentinelPorts: number[];
  /** `127.0.0.1:<port>,...`: the REDIS_SENTINELS value for this group. */
  sentinels: string;
  /** The port the sentinels name as master now. */
  masterPort(): Promise<number>;
  /** Resolve once the sentinels name another master than `port` and it answers as master. */
  waitForFailover(port: number, timeoutMs?: number): Promise<number>;
  /** Stop the sentinels and every server still running, and delete their directories. */
  stop(): Promise<void>;
}

export interface StartSentinelGroupOptions {
  /** Replicas of the master. Default 1. */
  replicas?: number;
  /** Sentinels (quorum: a majority of them). Default 3. */
  sentinels?: number;
  /** `down-after-milliseconds`: how long a silent master lasts before it is judged down. Default 1000. */
  downAfterMs?: number;
  /** `failover-timeout`. Default 3000. */
  failoverTimeoutMs?: number;
  name?: string;
}

/** A one-shot client of 127.0.0.1:port (no retries), disconnected after `use`. */
async function withClient<T>(port: number, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return await use(client);
  } finally {
    client.disconnect();
  }
}

/** Ask the first sentinel that answers. */
async function askSentinels<T>(ports: readonly number[], ask: (client: Redis) => Promise<T>): Promise<T> {
  let last: unknown;
  for (const port of ports) {
    try {
      return await withClient(port, ask);
    } catch (error) {
      last = error;
    }
  }
  throw last instanceof Error ? last : new Error('no sentinel answered');
}

function roleOf(port: number): Promise<string | undefined> {
  return withClient(port, async (client) => String(((await client.call('ROLE')) as unknown[])[0])).catch(
    () => undefined,
  );
}

/**
 * A Redis Sentinel group on 127.0.0.1: a master, its replicas and `sentinels` sentinel
 * processes, each on a free port in its own temporary directory, with short timeouts so a failover
 * takes a few seconds. Resolves once every replica is in sync and every sentinel knows the replicas
 * and the other sentinels (a failover needs that).
 */
export async function startSentinelGroup(
  options: StartSentinelGroupOptions = {},
): Promise<SentinelGroupHandle> {
  const name = options.name ?? 'cb-master';
  const replicaCount = options.replicas ?? 1;
  const sentinelCount = options.sentinels ?? 3;
  const quorum = Math.floor(sentinelCount / 2) + 1;
  const servers: RedisServerHandle[] = [];
  const sentinelStops: Array<() => Promise<void>> = [];
  const dir = await mkdtemp(join(tmpdir(), 'cb-sentinel-'));
  const sentinelPorts: number[] = [];
  const stop = async () => {
    await Promise.all(sentinelStops.map((s) => s()));
    await Promise.all(servers.map((s) => s.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const master = await startRedisServer();
    servers.push(master);
    for (let i = 0; i < replicaCount; i += 1) {
      servers.push(await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(master.port)] }));
    }
    for (let i = 0; i < sentinelCount; i += 1) {
      const port = await freePort();
      const file = join(dir, `sentinel-${port}.conf`);
      await writeFile(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${master.port} ${quorum}`,
          `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1_000}`,
          `sentinel failover-timeout ${name} ${options.failoverTimeoutMs ?? 3_000}`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      // `redis-server <file> --sentinel` is what the redis-sentinel binary runs; Debian ships that
      // binary in a separate package, so the redis-server every machine here has is used instead.
      const child = spawnTracked('redis-server', [file, '--sentinel']);
      const output = captureOutput(child);
      sentinelStops.push(() => stopChild(child));
      sentinelPorts.push(port);
      await waitFor(async () => (await roleOf(port)) === 'sentinel', {
        timeoutMs: 10_000,
        message: `redis-sentinel on ${port} to answer (${output()})`,
      });
    }
    await waitFor(
      async () => {
        for (const port of sentinelPorts) {
          const known = await withClient(port, async (client) => ({
            replicas: ((await client.call('SENTINEL', 'REPLICAS', name)) as unknown[]).length,
            sentinels: ((await client.call('SENTINEL', 'SENTINELS', name)) as unknown[]).length,
          })).catch(() => undefined);
          if (known === undefined || known.replicas < replicaCount || known.sentinels < sentinelCount - 1) {
            return false;
          }
        }
        const info = await withClient(master.port, (client) => client.info('replication'));
        return (info.match(/state=online/g) ?? []).length >= replicaCount;
      },
      { timeoutMs: 20_000, intervalMs: 100, message: 'the sentinels to know the replicas and each other' },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const masterPort = () =>
    askSentinels(sentinelPorts, async (client) => {
      const answer = (await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as string[];
      return Number(answer[1]);
    });
  return {
    name,
    servers,
    sentinelPorts,
    sentinels: sentinelPorts.map((p) => `127.0.0.1:${p}`).join(','),
    masterPort,
    waitForFailover: (port, timeoutMs = 30_000) =>
      waitFor(
        async () => {
          const now = await masterPort().catch(() => port);
          return now !== port && (await roleOf(now)) === 'master' ? now : undefined;
        },
        { timeoutMs, intervalMs: 100, message: `the sentinels to promote a replica of ${port}` },
      ),
    stop,
  };
}

import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Redis, type RedisOptions } from 'ioredis';
import type { DeepReadonly } from '../config/load-config';
import type { RedisFields } from '../config/schema';
import { AppError } from '../errors/app-error';

/** The variables a Redis connection is built from (docs/decisions/0145). */
export type RedisConfig = DeepReadonly<RedisFields>;

function readCa(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new AppError(
      'CONFIG_INVALID',
      `invalid configuration, 1 problem(s):\n  REDIS_TLS_CA: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      { details: { issues: [{ variable: 'REDIS_TLS_CA', message: `cannot read ${path}` }] } },
    );
  }
}

/**
 * A master that became a replica (a failover while this client still talks to it) answers writes
 * with READONLY: reconnect (through the sentinels, to the new master) and resend the command.
 */
function reconnectOnReadonly(error: Error): 2 | false {
  return error.message.startsWith('READONLY') ? 2 : false;
}

/**
 * ioredis options for the deployment's Redis: REDIS_URL alone, or a Sentinel group
 * (REDIS_SENTINELS + REDIS_SENTINEL_NAME, the URL giving credentials, database and `rediss://`),
 * with TLS verified against REDIS_TLS_CA when given. Every client of every process is built from
 * this: the API's, the workers', the shared Clore rate limiter's and BullMQ's.
 */
export function redisOptionsFromConfig(config: RedisConfig): RedisOptions {
  const url = new URL(config.REDIS_URL);
  const ca = config.REDIS_TLS_CA === undefined ? undefined : readCa(config.REDIS_TLS_CA);
  const tls: ConnectionOptions | undefined =
    url.protocol === 'rediss:' ? { ...(ca === undefined ? {} : { ca }) } : undefined;
  const db = Number(url.pathname.replace(/^\//, '') || '0');
  const common: RedisOptions = {
    ...(url.username === '' ? {} : { username: decodeURIComponent(url.username) }),
    ...(url.password === '' ? {} : { password: decodeURIComponent(url.password) }),
    ...(Number.isInteger(db) && db > 0 ? { db } : {}),
    ...(tls === undefined ? {} : { tls }),
  };
  if (config.REDIS_SENTINELS === undefined) {
    return { ...common, host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || '6379') };
  }
  return {
    ...common,
    sentinels: config.REDIS_SENTINELS.map((s) => ({ host: s.host, port: s.port })),
    name: config.REDIS_SENTINEL_NAME as string,
    ...(config.REDIS_SENTINEL_PASSWORD === undefined
      ? {}
      : { sentinelPassword: config.REDIS_SENTINEL_PASSWORD }),
    ...(config.REDIS_SENTINEL_TLS ? { sentinelTLS: { ...(ca === undefined ? {} : { ca }) } } : {}),
    ...(tls === undefined ? {} : { enableTLSForSentinelMode: true }),
    // Subscribe to the sentinels' +switch-master: reconnect at once when the master changes, even
    // when the old one still answers (a partition), instead of on the next error.
    failoverDetector: true,
    reconnectOnError: reconnectOnReadonly,
  };
}

/** Whether this client reaches Redis through Sentinel (its writes may be lost at a failover). */
export function viaSentinel(redis: Redis): boolean {
  return (redis.options.sentinels?.length ?? 0) > 0;
}

/** How long a money write waits for a replica to hold it (Sentinel only). */
export const REPLICA_WAIT_MS = 500;

/**
 * In Sentinel mode, wait (at most `timeoutMs`) until at least one replica holds every write this
 * connection has made (`WAIT 1 <ms>`): a failover then cannot lose them. True when one does, or
 * without Sentinel (nothing to wait for); false when no replica answered in time (it is down or
 * lagging), which the caller reports. WAIT blocks this connection for at most `timeoutMs`.
 * docs/decisions/0145.
 */
export async function awaitReplica(redis: Redis, timeoutMs = REPLICA_WAIT_MS): Promise<boolean> {
  if (!viaSentinel(redis)) {
    return true;
  }
  return (await redis.wait(1, timeoutMs)) >= 1;
}

/**
 * A Redis client for the deployment (see redisOptionsFromConfig), with `overrides` on top (e.g.
 * `maxRetriesPerRequest`). The one place a production process makes a Redis connection.
 */
export function createRedis(config: RedisConfig, overrides: RedisOptions = {}): Redis {
  return new Redis({ ...redisOptionsFromConfig(config), ...overrides });
}

/** A client for BullMQ (queues and workers): commands wait for Redis instead of failing. */
export function createBullRedis(config: RedisConfig, overrides: RedisOptions = {}): Redis {
  return createRedis(config, { ...overrides, maxRetriesPerRequest: null });
}

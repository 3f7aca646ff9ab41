import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  freePort,
  type RedisServerHandle,
  startRedisServer,
  startSentinelGroup,
  trackRedis,
} from '@clore-batch/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load-config';
import { awaitReplica, createBullRedis, createRedis, redisOptionsFromConfig } from './redis-from-config';

const base = { SECRETS_KEY: 'x'.repeat(40) };

function configError(env: Record<string, string>): string {
  try {
    loadConfig({ ...base, ...env });
  } catch (error) {
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
    return (error as Error).message;
  }
  throw new Error('loadConfig accepted it');
}

describe('Redis configuration', () => {
  it('REDIS_SENTINELS without REDIS_SENTINEL_NAME (and the reverse) is a config error naming both', () => {
    const missingName = configError({ REDIS_SENTINELS: '127.0.0.1:26379' });
    expect(missingName).toContain('REDIS_SENTINEL_NAME: is required with REDIS_SENTINELS');
    const missingList = configError({ REDIS_SENTINEL_NAME: 'cb-master' });
    expect(missingList).toContain('REDIS_SENTINELS: is required with REDIS_SENTINEL_NAME');
  });

  it('names a bad sentinel entry; sentinel-only options without sentinels; a CA nothing uses', () => {
    expect(
      configError({ REDIS_SENTINELS: '127.0.0.1:26379,host-without-port', REDIS_SENTINEL_NAME: 'm' }),
    ).toContain('REDIS_SENTINELS: entry 2 ("host-without-port") must be host:port');
    expect(configError({ REDIS_SENTINEL_TLS: 'true' })).toContain(
      'REDIS_SENTINEL_TLS: is only used with REDIS_SENTINELS',
    );
    expect(configError({ REDIS_TLS_CA: '/etc/ca.pem' })).toContain(
      'REDIS_TLS_CA: is set but nothing uses TLS',
    );
    expect(configError({ REDIS_URL: 'https://redis.example' })).toContain(
      'REDIS_URL: must be a redis:// or rediss:// URL',
    );
  });

  it('never echoes a password given in REDIS_URL or REDIS_SENTINEL_PASSWORD', () => {
    const message = configError({
      REDIS_URL: 'https://:hunter2-secret@redis.example',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
    });
    expect(message).not.toContain('hunter2-secret');
    expect(message).not.toContain('sentinel-secret');
  });

  it('Sentinel options: the sentinels and name from their variables, credentials, database and TLS from REDIS_URL', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cb-redis-ca-'));
    try {
      await writeFile(join(dir, 'ca.pem'), 'PEM');
      const config = loadConfig({
        ...base,
        REDIS_URL: 'rediss://app:p%40ss@ignored:1/2',
        REDIS_SENTINELS: '10.0.0.5:26379, [::1]:26380',
        REDIS_SENTINEL_NAME: 'cb-master',
        REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
        REDIS_SENTINEL_TLS: 'true',
        REDIS_TLS_CA: join(dir, 'ca.pem'),
      });
      const options = redisOptionsFromConfig(config);
      expect(options).toMatchObject({
        sentinels: [
          { host: '10.0.0.5', port: 26379 },
          { host: '::1', port: 26380 },
        ],
        name: 'cb-master',
        username: 'app',
        password: 'p@ss',
        db: 2,
        sentinelPassword: 'sentinel-secret',
        enableTLSForSentinelMode: true,
        failoverDetector: true,
      });
      expect(options.host).toBeUndefined();
      expect(String(options.tls?.ca)).toBe('PEM');
      expect(String(options.sentinelTLS?.ca)).toBe('PEM');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an unreadable REDIS_TLS_CA is a config error at connect, not a crash later', () => {
    const config = loadConfig({
      ...base,
      REDIS_URL: 'rediss://127.0.0.1:6380',
      REDIS_TLS_CA: '/nonexistent/ca.pem',
    });
    expect(() => createRedis(config)).toThrow(/REDIS_TLS_CA: cannot read \/nonexistent\/ca.pem \(ENOENT\)/);
  });
});

const run = promisify(execFile);

/** A throwaway CA and a server certificate for 127.0.0.1 signed by it (EC keys: fast). */
async function makeCertificates(dir: string, prefix: string): Promise<void> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run(
    'openssl',
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      `${prefix}ca.key`,
      '-out',
      `${prefix}ca.crt`,
      '-days',
      '1',
      '-subj',
      '/CN=cb-test-ca',
    ],
    { cwd: dir },
  );
  await run(
    'openssl',
    ['req', ...ec, '-keyout', `${prefix}server.key`, '-out', `${prefix}server.csr`, '-subj', '/CN=127.0.0.1'],
    { cwd: dir },
  );
  await writeFile(join(dir, `${prefix}san.ext`), 'subjectAltName=IP:127.0.0.1\n');
  await run(
    'openssl',
    [
      'x509',
      '-req',
      '-in',
      `${prefix}server.csr`,
      '-CA',
      `${prefix}ca.crt`,
      '-CAkey',
      `${prefix}ca.key`,
      '-CAcreateserial',
      '-out',
      `${prefix}server.crt`,
      '-days',
      '1',
      '-extfile',
      `${prefix}san.ext`,
    ],
    { cwd: dir },
  );
}

describe('Redis over TLS (a real redis-server with --tls-port)', () => {
  let dir: string;
  let server: RedisServerHandle;
  let tlsPort: number;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cb-redis-tls-'));
    await makeCertificates(dir, '');
    await makeCertificates(dir, 'other-');
    tlsPort = await freePort();
    server = await startRedisServer({
      args: [
        '--tls-port',
        String(tlsPort),
        '--tls-cert-file',
        join(dir, 'server.crt'),
        '--tls-key-file',
        join(dir, 'server.key'),
        '--tls-auth-clients',
        'no',
      ],
    });
  }, 30_000);
  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('rediss:// with REDIS_TLS_CA: connects and verifies the server against that CA', async () => {
    const config = loadConfig({
      ...base,
      REDIS_URL: `rediss://127.0.0.1:${tlsPort}`,
      REDIS_TLS_CA: join(dir, 'ca.crt'),
    });
    const client = trackRedis(createBullRedis(config));
    await client.set('tls-key', 'over tls');
    expect(await client.get('tls-key')).toBe('over tls');
    expect(client.options.maxRetriesPerRequest).toBeNull();
    await client.quit();
  });

  it('a certificate another CA signed is refused (no silent plaintext, no unverified TLS)', async () => {
    const config = loadConfig({
      ...base,
      REDIS_URL: `rediss://127.0.0.1:${tlsPort}`,
      REDIS_TLS_CA: join(dir, 'other-ca.crt'),
    });
    const client = trackRedis(
      createRedis(config, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null }),
    );
    const refused = new Promise<Error>((resolve) => client.once('error', resolve));
    await client.connect().catch(() => {});
    expect((await refused).message).toMatch(/certificate|self.signed|verify/i);
    client.disconnect();
  });
});

describe('awaitReplica (Sentinel: a money write is on a replica before money is spent)', () => {
  it('waits until the replica holds the write; false (bounded) when no replica answers; no WAIT without Sentinel', async () => {
    const group = await startSentinelGroup();
    try {
      const config = loadConfig({
        ...base,
        REDIS_SENTINELS: group.sentinels,
        REDIS_SENTINEL_NAME: group.name,
      });
      const client = trackRedis(createRedis(config));
      const replica = trackRedis(
        createRedis({ REDIS_URL: `redis://127.0.0.1:${group.servers[1]?.port}`, REDIS_SENTINEL_TLS: false }),
      );
      await client.set('intent', 'written');
      expect(await awaitReplica(client)).toBe(true);
      expect(await replica.get('intent')).toBe('written'); // there as soon as awaitReplica said so
      await replica.quit();
      await group.servers[1]?.kill();
      await client.set('intent', 'unreplicated');
      const began = Date.now();
      expect(await awaitReplica(client, 300)).toBe(false);
      expect(Date.now() - began).toBeLessThan(2_000);
      await client.quit();
      const plain = trackRedis(
        createRedis({ REDIS_URL: `redis://127.0.0.1:${group.servers[0]?.port}`, REDIS_SENTINEL_TLS: false }),
      );
      // The master has no replica now: a WAIT would answer 0; without Sentinel none is sent.
      expect(await awaitReplica(plain)).toBe(true);
      await plain.quit();
    } finally {
      await group.stop();
    }
  }, 60_000);
});

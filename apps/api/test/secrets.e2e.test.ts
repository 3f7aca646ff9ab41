import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SimHandle, startSimulator } from '@clore-batch/clore-sim';
import { createLogger, loadConfig } from '@clore-batch/shared';
import { type RedisHandle, startRedis, trackRedis, waitFor } from '@clore-batch/testing';
import { type RunningWorker, startWorker } from '@clore-batch/worker';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApi, startApi } from '../src/start-api';
import { connectSse } from './sse-client';

/**
 * End to end: the API and the worker in-process, the Clore simulator over HTTP with a real sshd per
 * order, a private Redis. After a job with secretEnv has run, the secret, the Clore API key and
 * every API token must be absent from every API response, every process log line, the job's log
 * and output files, and every value of every Redis key.
 */
const SECRET = `hf_secret_${randomUUID()}`;
/** The spec's registryAuth (sent to Clore as dockerhub_auth): a secret too. */
const REGISTRY_AUTH = `registry_auth_${randomUUID()}`;
const CLORE_KEY = `clore-key-${randomUUID()}`;
const TOKENS = { alice: `alice-${randomUUID()}`, root: `root-${randomUUID()}` };

let redis: RedisHandle;
let sim: SimHandle;
let api: RunningApi;
let worker: RunningWorker;
let dataDir: string;
let processLogs = '';
const responses: string[] = [];

beforeAll(async () => {
  redis = await startRedis({ private: true });
  sim = await startSimulator({
    keys: [{ key: CLORE_KEY, balances: { 'USD-Blockchain': 1_000 } }],
    limits: { generalMs: 50, createMs: 250 },
    provisioningMs: [100, 300],
  });
  dataDir = await mkdtemp(join(tmpdir(), 'cb-api-e2e-'));
  const config = loadConfig({
    LOG_LEVEL: 'debug',
    REDIS_URL: redis.url,
    REDIS_PREFIX: 'e2e',
    DATA_DIR: dataDir,
    SECRETS_KEY: `secrets-key-${randomUUID()}`,
    API_TOKENS: `alice:submit:${TOKENS.alice},root:admin:${TOKENS.root}`,
    CLORE_API_URL: sim.url,
    CLORE_API_KEY: CLORE_KEY,
    CLORE_CURRENCY: 'USD-Blockchain',
    CLORE_GENERAL_SPACING_MS: '60',
    CLORE_CREATE_SPACING_MS: '260',
    CLORE_TIMEOUT_MS: '2000',
    ORDER_POLL_INTERVAL_MS: '200',
    MARKETPLACE_REFRESH_MS: '1000',
    PROVISION_TIMEOUT_SECONDS: '8',
    REAPER_GRACE_SECONDS: '1',
    WORKER_LOCK_DURATION_MS: '2000',
    WORKER_KILL_GRACE_SECONDS: '1',
  });
  const logger = createLogger({
    level: 'debug',
    destination: {
      write(line: string) {
        processLogs += line;
      },
    },
  });
  api = await startApi(config, { logger, host: '127.0.0.1', port: 0 });
  worker = await startWorker({
    config,
    logger,
    settings: {
      sshRetryMs: { initial: 100, max: 500 },
      logPollMs: 50,
      orderLookupMs: 3_000,
      releaseConfirmMs: 3_000,
      cancelPollMs: 250,
    },
    fleetSettings: { leaderTtlMs: 2_000, cancelConfirmMs: 1_000, cancelRetryBaseMs: 200 },
  });
});

afterAll(async () => {
  await worker?.close();
  await api?.close();
  await sim?.close();
  await redis?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function call(path: string, init: RequestInit = {}, token = TOKENS.alice): Promise<Response> {
  const res = await fetch(`${api.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
  });
  const text = await res.clone().text();
  responses.push(`${JSON.stringify([...res.headers])}\n${text}`);
  return res;
}

/** Every value of every key, as text (binary values as latin1 so any byte sequence is searchable). */
async function dumpRedis(url: string): Promise<string> {
  const client = trackRedis(new Redis(url));
  try {
    const parts: string[] = [];
    for (const key of await client.keys('*')) {
      const type = await client.type(key);
      parts.push(key);
      if (type === 'string') {
        parts.push((await client.getBuffer(key))?.toString('latin1') ?? '');
      } else if (type === 'hash') {
        parts.push(JSON.stringify(await client.hgetall(key)));
      } else if (type === 'list') {
        parts.push(JSON.stringify(await client.lrange(key, 0, -1)));
      } else if (type === 'set') {
        parts.push(JSON.stringify(await client.smembers(key)));
      } else if (type === 'zset') {
        parts.push(JSON.stringify(await client.zrange(key, '0', '-1', 'WITHSCORES')));
      } else if (type === 'stream') {
        parts.push(JSON.stringify(await client.xrange(key, '-', '+')));
      }
    }
    return parts.join('\n');
  } finally {
    await client.quit();
  }
}

async function readTree(dir: string): Promise<string> {
  const parts: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      parts.push((await readFile(join(entry.parentPath, entry.name))).toString('latin1'));
    }
  }
  return parts.join('\n');
}

describe('secrets end to end', () => {
  it('a job with secretEnv runs, and the secret, the Clore key and the tokens appear nowhere', async () => {
    const digest = createHash('sha256').update(SECRET).digest('hex');
    const submitted = await call('/v1/jobs', {
      method: 'POST',
      headers: { 'idempotency-key': 'secret-run-1' },
      body: JSON.stringify({
        gpu: { model: ['RTX 3090', 'RTX 4090'] },
        image: 'ubuntu:22.04',
        command:
          'printf %s "$SECRET_TOKEN" | sha256sum | cut -c1-64; echo "len=$(printf %s "$SECRET_TOKEN" | wc -c)"; mkdir -p /tmp/cb-secret-out && echo ok > /tmp/cb-secret-out/result.txt',
        secretEnv: { SECRET_TOKEN: SECRET },
        registryAuth: REGISTRY_AUTH,
        outputs: ['/tmp/cb-secret-out/result.txt'],
        maxPricePerHourUsd: 5,
        budgetUsd: 50,
        minReliability: 0,
        timeoutSeconds: 120,
      }),
    });
    expect(submitted.status).toBe(201);
    const { id } = (await submitted.json()) as { id: string };

    const stream = await connectSse(`${api.url}/v1/jobs/${id}/logs?follow=1`, {
      authorization: `Bearer ${TOKENS.alice}`,
    });
    let streamed = '';
    let end = '';
    for await (const event of stream.events) {
      streamed += `${event.event} ${event.data}\n`;
      if (event.event === 'end') {
        end = event.data;
      }
    }
    responses.push(streamed);
    expect(JSON.parse(end)).toMatchObject({ id, state: 'succeeded', exitCode: 0 });

    const log = await (await call(`/v1/jobs/${id}/logs`)).text();
    expect(log).toBe(`${digest}\nlen=${SECRET.length}\n`);
    const job = (await (await call(`/v1/jobs/${id}`)).json()) as {
      spec: { secretEnvNames: string[]; hasRegistryAuth: boolean };
    };
    expect(job.spec.secretEnvNames).toEqual(['SECRET_TOKEN']);
    expect(job.spec.hasRegistryAuth).toBe(true);
    await call('/v1/jobs');
    await call('/v1/jobs', {
      method: 'POST',
      headers: { 'idempotency-key': 'secret-run-1' },
      body: JSON.stringify({ bad: SECRET }),
    });
    await call(`/v1/jobs/${id}/outputs`);
    expect(await (await call(`/v1/jobs/${id}/outputs/tmp/cb-secret-out/result.txt`)).text()).toBe('ok\n');
    await call(`/v1/jobs/${id}/cancel`, { method: 'POST' });
    await call('/metrics', {}, TOKENS.root);
    await call('/v1/jobs', { method: 'POST', body: JSON.stringify({ secretEnv: { 'BAD NAME': SECRET } }) });
    await call('/v1/jobs', {}, `${TOKENS.alice}x`);
    await waitFor(async () =>
      (
        (await fetch(`${sim.url}/_sim/orders`).then((r) => r.json())) as { orders: { active: boolean }[] }
      ).orders.every((o) => !o.active),
    );

    const haystacks: Record<string, string> = {
      'API responses': responses.join('\n'),
      'process logs': processLogs,
      'job log and output files': await readTree(dataDir),
      'every Redis key': await dumpRedis(redis.url),
    };
    expect(haystacks['process logs']).toContain(id); // the logs were captured at all
    expect(haystacks['every Redis key']).toContain(id);
    for (const [where, text] of Object.entries(haystacks)) {
      for (const [what, secret] of Object.entries({
        secretEnv: SECRET,
        registryAuth: REGISTRY_AUTH,
        'Clore API key': CLORE_KEY,
        'alice token': TOKENS.alice,
        'root token': TOKENS.root,
      })) {
        expect(text.includes(secret), `${what} found in ${where}`).toBe(false);
      }
    }
  });
});

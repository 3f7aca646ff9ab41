import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseJobSpec, silentLogger, toStoredSpec } from '@clore-batch/shared';
import { trackRedis, waitFor } from '@clore-batch/testing';
import type { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect } from 'vitest';
import { enqueueWebhook } from '../src/webhooks/enqueue-webhook';
import { verifyWebhook, webhookKey } from '../src/webhooks/signature';
import { createWebhookWorker } from '../src/webhooks/webhook-worker';
import { apiTest, type OpenApi } from './support/api-fixture';
import { auth, type RedisServer, type TestApi, validSpec } from './support/api-kit';

const test = apiTest();

let api: TestApi;
let worker: Worker;
let connection: Redis;
let receiver: Server;
let hookUrl: string;
const received: { headers: IncomingHttpHeaders; body: string }[] = [];
/** Status codes the receiver answers with, in order; 200 once they run out. */
let answers: number[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = answers.shift() ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
});
afterEach(async () => {
  await worker.close();
  await connection.quit();
  received.length = 0;
  answers = [];
});

/** The fixtures setUp opens the app with. */
interface Opener {
  openApi: OpenApi;
  server: RedisServer;
}

async function setUp(
  { openApi, server }: Opener,
  env: Record<string, string>,
  resolve?: (host: string) => Promise<string[]>,
) {
  api = await openApi({ WEBHOOK_BACKOFF_MS: '20', WEBHOOK_MAX_ATTEMPTS: '3', ...env });
  connection = trackRedis(new Redis(server.url, { maxRetriesPerRequest: null }), 'webhook worker connection');
  worker = createWebhookWorker({
    config: api.config,
    logger: silentLogger(),
    store: api.store,
    webhookQueue: api.webhookQueue,
    connection,
    ...(resolve ? { resolve } : {}),
  });
}

async function finishedJob(webhookUrl: string): Promise<string> {
  const spec = parseJobSpec(validSpec({ webhookUrl }), { currency: 'CLORE-Blockchain' });
  const { job } = await api.store.create({ spec: toStoredSpec(spec), owner: 'alice' });
  await api.store.transition(job.id, 'cancel', { expectedState: 'queued' });
  return job.id;
}

const queueIdle = async () => {
  const counts = await api.webhookQueue.getJobCounts('waiting', 'active', 'delayed');
  return Object.values(counts).every((n) => n === 0);
};

describe('webhook delivery', () => {
  test('POSTs the job, signed, and records the delivery; retries failures with backoff', async ({
    openApi,
    server,
  }) => {
    await setUp(
      { openApi, server },
      { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_SECRET: 'webhook-secret-for-tests' },
    );
    answers = [500, 503];
    const id = await finishedJob(hookUrl);
    await enqueueWebhook(api.webhookQueue, { jobId: id, state: 'cancelled' });
    const job = await waitFor(async () => {
      const j = await api.store.get(id);
      return j.webhookDeliveries.length === 3 ? j : undefined;
    });
    expect(job.webhookDeliveries.map((d) => [d.attempt, d.status])).toEqual([
      [1, 500],
      [2, 503],
      [3, 200],
    ]);
    expect(received).toHaveLength(3);
    const last = received[2];
    const key = webhookKey('webhook-secret-for-tests', api.config.SECRETS_KEY);
    const headers = {
      timestamp: last?.headers['x-clore-batch-timestamp'] as string,
      signature: last?.headers['x-clore-batch-signature'] as string,
    };
    expect(verifyWebhook(key, headers, last?.body ?? '')).toBe(true);
    expect(JSON.parse(last?.body ?? '{}')).toMatchObject({
      state: 'cancelled',
      job: { id, state: 'cancelled', owner: 'alice' },
    });
  });

  test('gives up after WEBHOOK_MAX_ATTEMPTS, each attempt recorded', async ({ openApi, server }) => {
    await setUp({ openApi, server }, { WEBHOOK_ALLOW_PRIVATE: 'true' });
    answers = [500, 500, 500, 500, 500];
    const id = await finishedJob(hookUrl);
    await enqueueWebhook(api.webhookQueue, { jobId: id, state: 'cancelled' });
    await waitFor(async () => (await api.store.get(id)).webhookDeliveries.length === 3);
    await waitFor(queueIdle);
    expect(received).toHaveLength(3);
    expect((await api.store.get(id)).webhookDeliveries.map((d) => d.status)).toEqual([500, 500, 500]);
  });

  test('refuses at delivery time a name that now resolves to a private address (DNS rebinding)', async ({
    openApi,
    server,
  }) => {
    let answer = ['93.184.216.34'];
    await setUp({ openApi, server }, { WEBHOOK_MAX_ATTEMPTS: '1' }, async () => answer);
    const id = await finishedJob('https://rebind.example/hook');
    answer = ['127.0.0.1'];
    await enqueueWebhook(api.webhookQueue, { jobId: id, state: 'cancelled' });
    const job = await waitFor(async () => {
      const j = await api.store.get(id);
      return j.webhookDeliveries.length === 1 ? j : undefined;
    });
    expect(job.webhookDeliveries[0]?.error).toMatch(/refused/);
    expect(received).toHaveLength(0);
  });

  test('delivers the cancelled hook of a queued job cancelled through the API', async ({
    openApi,
    server,
  }) => {
    await setUp({ openApi, server }, { WEBHOOK_ALLOW_PRIVATE: 'true' });
    const created = await api.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: auth('alice'),
      payload: validSpec({ webhookUrl: hookUrl }),
    });
    const id = created.json().id;
    await api.app.inject({ method: 'POST', url: `/v1/jobs/${id}/cancel`, headers: auth('alice') });
    await waitFor(() => received.length === 1);
    expect(JSON.parse(received[0]?.body ?? '{}').job).toMatchObject({ id, state: 'cancelled' });
  });
});

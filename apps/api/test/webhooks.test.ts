import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type JobStore, parseJobSpec, silentLogger, toStoredSpec } from '@clore-batch/shared';
import { trackRedis, waitFor } from '@clore-batch/testing';
import type { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect } from 'vitest';
import { tenantWebhookKey, verifyWebhook, webhookKey } from '../src/webhooks/signature';
import { startWebhookOutbox, type WebhookOutbox } from '../src/webhooks/webhook-outbox';
import { createWebhookWorker } from '../src/webhooks/webhook-worker';
import { apiTest, type OpenApi } from './support/api-fixture';
import { auth, type RedisServer, type TestApi, validSpec } from './support/api-kit';

const test = apiTest();

let api: TestApi;
let worker: Worker;
let outbox: WebhookOutbox | undefined;
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
  await outbox?.stop();
  outbox = undefined;
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

/** The webhook sender's drainer, over `store` (the API's unless a test wraps it). */
async function drainOutbox(store: JobStore = api.store): Promise<WebhookOutbox> {
  outbox = await startWebhookOutbox({ store, webhookQueue: api.webhookQueue, logger: silentLogger() });
  return outbox;
}

async function finishedJob(webhookUrl: string, owner = 'alice'): Promise<string> {
  const spec = parseJobSpec(validSpec({ webhookUrl }), { currency: 'CLORE-Blockchain' });
  const { job } = await api.store.create({ spec: toStoredSpec(spec), owner });
  await api.store.transition(job.id, 'cancel', { expectedState: 'queued' });
  return job.id;
}

const signatureOf = (request: { headers: IncomingHttpHeaders } | undefined) => ({
  timestamp: request?.headers['x-clore-batch-timestamp'] as string,
  signature: request?.headers['x-clore-batch-signature'] as string,
});

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
    await drainOutbox();
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
    const key = tenantWebhookKey(webhookKey('webhook-secret-for-tests', api.config.SECRETS_KEY), 'alice');
    expect(verifyWebhook(key, signatureOf(last), last?.body ?? '')).toBe(true);
    expect(JSON.parse(last?.body ?? '{}')).toMatchObject({
      state: 'cancelled',
      job: { id, state: 'cancelled', owner: 'alice' },
    });
  });

  test("signs each tenant's webhooks with its own key: not with another tenant's, nor the master key", async ({
    openApi,
    server,
  }) => {
    await setUp({ openApi, server }, { WEBHOOK_ALLOW_PRIVATE: 'true' });
    const alice = await finishedJob(hookUrl, 'alice');
    const bob = await finishedJob(hookUrl, 'bob');
    await drainOutbox();
    await waitFor(() => received.length === 2);
    const master = webhookKey(undefined, api.config.SECRETS_KEY);
    const keys = { alice: tenantWebhookKey(master, 'alice'), bob: tenantWebhookKey(master, 'bob') };
    // The route hands each tenant the key its webhooks are signed with.
    for (const who of ['alice', 'bob'] as const) {
      const answer = await api.app.inject({ method: 'GET', url: '/v1/webhook-key', headers: auth(who) });
      expect(answer.json().key).toBe(keys[who]);
    }
    for (const [id, own, other] of [
      [alice, keys.alice, keys.bob],
      [bob, keys.bob, keys.alice],
    ] as const) {
      const request = received.find((r) => JSON.parse(r.body).job.id === id);
      expect(request).toBeDefined();
      expect(verifyWebhook(own, signatureOf(request), request?.body ?? '')).toBe(true);
      expect(verifyWebhook(other, signatureOf(request), request?.body ?? '')).toBe(false);
      expect(verifyWebhook(master, signatureOf(request), request?.body ?? '')).toBe(false);
    }
  });

  test('gives up after WEBHOOK_MAX_ATTEMPTS, each attempt recorded', async ({ openApi, server }) => {
    await setUp({ openApi, server }, { WEBHOOK_ALLOW_PRIVATE: 'true' });
    answers = [500, 500, 500, 500, 500];
    const id = await finishedJob(hookUrl);
    await drainOutbox();
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
    await drainOutbox();
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
    await drainOutbox();
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

  test('a terminal write yields exactly one delivery, however often the outbox is drained', async ({
    openApi,
    server,
  }) => {
    await setUp({ openApi, server }, { WEBHOOK_ALLOW_PRIVATE: 'true' });
    const drainer = await drainOutbox();
    const id = await finishedJob(hookUrl);
    await waitFor(() => received.length === 1);
    expect(await drainer.drain()).toBe(0);
    await waitFor(queueIdle);
    expect(await api.store.outboxEntries()).toEqual([]);
    expect(await api.webhookQueue.getJobCounts('completed', 'waiting', 'delayed')).toEqual({
      completed: 1,
      waiting: 0,
      delayed: 0,
    });
    expect(received).toHaveLength(1);
    expect((await api.store.get(id)).webhookDeliveries.map((d) => d.status)).toEqual([200]);
  });

  test('a crash between the queue add and the outbox removal re-adds under the same id: delivered once', async ({
    openApi,
    server,
  }) => {
    await setUp({ openApi, server }, { WEBHOOK_ALLOW_PRIVATE: 'true' });
    const id = await finishedJob(hookUrl);
    let crashes = 0;
    // The first removal fails as a process dying right after the add would leave it.
    const crashing: JobStore = {
      ...api.store,
      outboxDone: async (entry) => {
        if (crashes === 0) {
          crashes += 1;
          throw new Error('crashed after the add');
        }
        return api.store.outboxDone(entry);
      },
    };
    const drainer = await drainOutbox(crashing);
    await waitFor(() => crashes === 1);
    expect((await api.store.outboxEntries()).map((e) => e.jobId)).toEqual([id]);
    await waitFor(() => received.length === 1);
    // The next pass adds `<id>.cancelled` again (BullMQ keeps the first) and only then removes the entry.
    expect(await drainer.drain()).toBe(1);
    expect(await api.store.outboxEntries()).toEqual([]);
    await waitFor(queueIdle);
    expect((await api.webhookQueue.getJob(`${id}.cancelled`))?.data).toMatchObject({
      jobId: id,
      state: 'cancelled',
    });
    expect(await api.webhookQueue.getJobCounts('completed')).toEqual({ completed: 1 });
    expect(received).toHaveLength(1);
    expect((await api.store.get(id)).webhookDeliveries).toHaveLength(1);
  });
});

import { fleetKeys } from '@clore-batch/shared';
import { trackRedis } from '@clore-batch/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  auth,
  openApi,
  type RedisServer,
  startRedisServer,
  type TestApi,
  validSpec,
} from './support/api-kit';
import { defaultMarket, marketServer, pricedAt, storeMarket } from './support/market-fixture';

/**
 * The marketplace surface over real HTTP (issue 16): GET /v1/offers, the submit check against the
 * fleet's snapshot, POST /v1/jobs?dryRun=true, provisionTimeoutSeconds, GET /v1/jobs?idempotencyKey.
 */
let server: RedisServer;
let api: TestApi;
let base: string;

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server.stop();
});
afterEach(async () => {
  await api.close();
});

async function open(env: Record<string, string> = {}): Promise<void> {
  api = await openApi(server, env);
  base = await api.app.listen({ host: '127.0.0.1', port: 0 });
}

// biome-ignore lint/suspicious/noExplicitAny: the tests read answers' JSON by path
type Json = any;

interface Answer {
  status: number;
  body: Json;
}

async function call(
  method: string,
  path: string,
  options: { who?: 'alice' | 'bob' | 'root'; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...auth(options.who ?? 'alice'),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

const submit = (spec: Record<string, unknown> = {}, query = '', headers: Record<string, string> = {}) =>
  call('POST', `/v1/jobs${query}`, { body: validSpec(spec), headers });

async function nothingStored(): Promise<void> {
  expect((await api.store.list({ owner: 'alice' })).jobs).toEqual([]);
  expect(await api.queue.getJobCounts('waiting')).toEqual({ waiting: 0 });
}

describe('GET /v1/offers', () => {
  it('answers 503 MARKETPLACE_UNKNOWN while no snapshot is stored, and asks the leader for one', async () => {
    await open();
    const listener = trackRedis(new Redis(server.url));
    const asked = new Promise<string>((resolve) => listener.on('message', (channel) => resolve(channel)));
    await listener.subscribe(fleetKeys(api.prefix).marketplaceRequests);
    const answer = await call('GET', '/v1/offers');
    expect(answer.status).toBe(503);
    expect(answer.body.code).toBe('MARKETPLACE_UNKNOWN');
    expect(await asked).toBe(fleetKeys(api.prefix).marketplaceRequests);
    await listener.quit();
  });

  it('groups the snapshot by GPU model and count: free servers, cheapest and median $/h, VRAM, the cheapest few', async () => {
    await open();
    await storeMarket(server.redis, api.prefix);
    const answer = await call('GET', '/v1/offers');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ currency: 'CLORE-Blockchain', orderType: 'on-demand', stale: false });
    expect(answer.body.ageSeconds).toBeLessThan(5);
    const rows = answer.body.offers.map((o: Record<string, unknown>) => [
      o.gpu,
      o.gpuCount,
      o.servers,
      o.free,
    ]);
    expect(rows).toEqual([
      ['RTX 3090', 1, 1, 1],
      ['RTX 4090', 1, 3, 2],
      ['RTX 4090', 2, 1, 1],
    ]);
    expect(answer.body.offers[1]).toMatchObject({
      gpuName: 'NVIDIA GeForce RTX 4090',
      vramGb: [24],
      cheapestUsdPerHour: 0.4,
      cheapestListedUsdPerHour: 0.3,
      cheapest: [
        { serverId: 101, usdPerHour: 0.4, vramGb: 24, country: 'DE' },
        { serverId: 102, usdPerHour: 0.55 },
      ],
    });
    expect(answer.body.offers[1].medianUsdPerHour).toBeCloseTo(0.475);
  });

  it('filters by gpu, maxPricePerHourUsd, currency and orderType, and says when the listing is stale', async () => {
    await open();
    await storeMarket(server.redis, api.prefix, defaultMarket(), 300_000);
    const gpu = await call('GET', '/v1/offers?gpu=3090');
    expect(gpu.body.offers.map((o: { gpu: string }) => o.gpu)).toEqual(['RTX 3090']);
    expect(gpu.body).toMatchObject({ stale: true });
    expect(gpu.body.ageSeconds).toBeGreaterThanOrEqual(300);
    const cheap = await call('GET', '/v1/offers?gpu=RTX%204090&maxPricePerHourUsd=0.5');
    expect(cheap.body.offers.map((o: { servers: number }) => o.servers)).toEqual([2]);
    const spot = await call('GET', '/v1/offers?orderType=spot&gpu=RTX%203090');
    expect(spot.body.offers[0].cheapestUsdPerHour).toBeCloseTo(0.1);
    const bitcoin = await call('GET', '/v1/offers?currency=bitcoin');
    expect(bitcoin.body.offers).toEqual([]);
    const bad = await call('GET', '/v1/offers?maxPricePerHourUsd=cheap&colour=red');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    const anonymous = await fetch(`${base}/v1/offers`);
    expect(anonymous.status).toBe(401);
  });

  it('is in the OpenAPI document, and so are dryRun and idempotencyKey', async () => {
    await open();
    const doc = (await (await fetch(`${base}/docs/json`)).json()) as {
      paths: Record<string, Record<string, { parameters?: { name: string }[] }>>;
    };
    expect(doc.paths['/v1/offers']?.get).toBeDefined();
    const names = (path: string, method: string) => doc.paths[path]?.[method]?.parameters?.map((p) => p.name);
    expect(names('/v1/offers', 'get')).toEqual(
      expect.arrayContaining(['gpu', 'maxPricePerHourUsd', 'currency', 'orderType']),
    );
    expect(names('/v1/jobs', 'post')).toContain('dryRun');
    expect(names('/v1/jobs', 'get')).toContain('idempotencyKey');
  });
});

describe('POST /v1/jobs against the marketplace', () => {
  it('refuses a GPU model no listed server has with 422 and "did you mean", storing nothing', async () => {
    await open();
    await storeMarket(server.redis, api.prefix);
    const answer = await submit({ gpu: { model: 'RTX 4900' } });
    expect(answer.status).toBe(422);
    expect(answer.body.code).toBe('GPU_MODEL_UNKNOWN');
    expect(answer.body.message).toMatch(/did you mean "RTX 4090"/);
    expect(answer.body.details.suggestions).toEqual(['RTX 4090', 'RTX 3090']);
    await nothingStored();
  });

  it.each([
    [{ maxPricePerHourUsd: 0.25 }, 'price', 103, /the cheapest is \$0\.3000\/h/],
    [{ gpu: { model: 'RTX 4090', count: 4 } }, 'gpu_count', 104, /the most on one server is 2/],
    [{ gpu: { model: 'RTX 4090', minVramGb: 48 } }, 'vram', 101, /the most is 24 GB/],
  ])(
    'refuses %j, which no listed server could ever run, naming the closest offer (%s)',
    async (spec, reason, id, text) => {
      await open();
      await storeMarket(server.redis, api.prefix);
      const answer = await submit(spec);
      expect(answer.status).toBe(422);
      expect(answer.body).toMatchObject({
        code: 'SPEC_UNSATISFIABLE',
        details: { reason, closest: { serverId: id } },
      });
      expect(answer.body.message).toMatch(text);
      await nothingStored();
    },
  );

  it('accepts a spec whose servers are all rented now, and says in its events that it waits', async () => {
    await open();
    await storeMarket(server.redis, api.prefix, [marketServer(201, { rented: true })]);
    const answer = await submit({ provisionTimeoutSeconds: 900 });
    expect(answer.status).toBe(201);
    expect(answer.body.spec.provisionTimeoutSeconds).toBe(900);
    const info = answer.body.events.filter((e: { type: string }) => e.type === 'info');
    expect(info.map((e: { message: string }) => e.message)).toEqual([
      'all 1 listed server(s) that fit are rented or offline right now: the job waits for one (up to provisionTimeoutSeconds, 900 s)',
    ]);
  });

  it('never blocks on the fleet: no snapshot or a stale one is accepted unchecked, and the events say so', async () => {
    await open();
    const unknown = await submit({ gpu: { model: 'RTX 9999' } });
    expect(unknown.status).toBe(201);
    expect(unknown.body.events.at(-1).message).toMatch(/marketplace is not known yet.*not checked/);
    await storeMarket(server.redis, api.prefix, defaultMarket(), 200_000);
    const stale = await submit({ gpu: { model: 'RTX 9999' } });
    expect(stale.status).toBe(201);
    expect(stale.body.events.at(-1).message).toMatch(/listing is 200 s old .*not checked/);
  });

  it('answers a repeat of an Idempotency-Key with its job even when the market no longer fits', async () => {
    await open();
    await storeMarket(server.redis, api.prefix);
    const first = await submit({}, '', { 'idempotency-key': 'ci-run-7' });
    expect(first.status).toBe(201);
    expect(first.body.events.filter((e: { type: string }) => e.type === 'info')).toEqual([]);
    await storeMarket(server.redis, api.prefix, [marketServer(301, { gpus: ['NVIDIA GeForce RTX 3090'] })]);
    const again = await submit({}, '', { 'idempotency-key': 'ci-run-7' });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect((await submit({}, '', { 'idempotency-key': 'ci-run-8' })).status).toBe(422);
  });

  it('validates provisionTimeoutSeconds: a whole number of seconds, 1 to 86400', async () => {
    await open();
    for (const value of [0, 1.5, 86_401]) {
      const answer = await submit({ provisionTimeoutSeconds: value });
      expect(answer.status).toBe(400);
      expect(answer.body.details.issues[0].path).toBe('provisionTimeoutSeconds');
    }
  });
});

describe('POST /v1/jobs?dryRun=true', () => {
  it('answers the plan: servers first tried with $/h and fee, the cost for timeoutSeconds, budget cover; stores nothing', async () => {
    await open({ ORDER_POLL_INTERVAL_MS: '3000' });
    await storeMarket(server.redis, api.prefix);
    // Besides the marketplace, only the API's rate-limit counter and BullMQ's queue metadata.
    const stored = async () =>
      (await server.redis.keys(`${api.prefix}:*`)).filter((k) => !/:api-rate:|:bull:\w+:meta$/.test(k));
    const answer = await submit({ timeoutSeconds: 1_800, budgetUsd: 1 }, '?dryRun=true');
    expect(answer.status).toBe(200);
    const plan = answer.body;
    expect(plan).toMatchObject({
      dryRun: true,
      provisionTimeoutSeconds: 600,
      marketplace: { known: true },
      spec: { gpu: { model: ['RTX 4090'] }, currency: 'CLORE-Blockchain' },
      rejected: { rented: 1, gpu_model: 1 },
    });
    expect(plan.servers.map((s: Record<string, unknown>) => [s.serverId, s.usdPerHour])).toEqual([
      [101, 0.4],
      [102, 0.55],
      [104, 0.9],
    ]);
    // No CLORE_API_KEY: the fee is the worker's estimate, 1 % of a day's price.
    expect(plan.servers[0]).toMatchObject({ gpu: 'RTX 4090', gpuCount: 1, creationFeeKnown: false });
    expect(plan.servers[0].creationFeeUsd).toBeCloseTo(0.096);
    expect(plan.estimate).toMatchObject({ serverId: 101, free: true, runSeconds: 1_800, budgetCovers: true });
    expect(plan.estimate.totalUsd).toBeCloseTo(0.2 + 0.096);
    expect(plan.notes).toEqual([expect.stringMatching(/creation fee is not known here/)]);
    await nothingStored();
    expect(await stored()).toEqual([fleetKeys(api.prefix).marketplace]);
  });

  it('says when budgetUsd does not cover timeoutSeconds, and how long it would last', async () => {
    await open();
    await storeMarket(server.redis, api.prefix);
    const plan = (await submit({ timeoutSeconds: 7_200, budgetUsd: 0.3 }, '?dryRun=true')).body;
    expect(plan.estimate).toMatchObject({ serverId: 101, budgetCovers: false });
    expect(plan.estimate.budgetLastsSeconds).toBe(1_836);
    expect(plan.notes.join('\n')).toMatch(/does not cover timeoutSeconds 7200 s.*after about 31 min/);
  });

  it('refuses exactly as a submit does: a bad spec 400, an unknown model 422, a tenant limit 403', async () => {
    await open({ TENANT_LIMITS: JSON.stringify({ alice: { maxPricePerHourUsd: 2 } }) });
    await storeMarket(server.redis, api.prefix);
    for (const [spec, status, code] of [
      [{ budgetUsd: -1 }, 400, 'VALIDATION_FAILED'],
      [{ gpu: { model: 'RTX 4900' } }, 422, 'GPU_MODEL_UNKNOWN'],
      [{ maxPricePerHourUsd: 3 }, 403, 'TENANT_PRICE_LIMIT'],
    ] as const) {
      const plan = await submit(spec, '?dryRun=true');
      const real = await submit(spec);
      expect([plan.status, plan.body.code]).toEqual([status, code]);
      expect(real.body).toEqual(plan.body);
    }
    await nothingStored();
  });

  it('plans on an unknown market without failing: no servers, a note, and the leader is asked', async () => {
    await open();
    const plan = (await submit({}, '?dryRun=1')).body;
    expect(plan).toMatchObject({ dryRun: true, marketplace: { known: false }, servers: [] });
    expect(plan.estimate).toBeUndefined();
    expect(plan.notes[0]).toMatch(/not known yet/);
    await nothingStored();
  });

  it('estimates on the cheapest server that fits when all are rented, and says the job would wait', async () => {
    await open();
    await storeMarket(server.redis, api.prefix, [marketServer(401, { ...pricedAt(0.7), rented: true })]);
    const plan = (await submit({}, '?dryRun=true')).body;
    expect(plan.servers).toEqual([]);
    expect(plan.estimate).toMatchObject({ serverId: 401, free: false, usdPerHour: 0.7 });
    expect(plan.notes.join('\n')).toMatch(/rented or offline right now[\s\S]*wait for one/);
  });
});

describe('GET /v1/jobs?idempotencyKey=', () => {
  it("finds the caller's job submitted under the key (an admin names the owner); others see nothing", async () => {
    await open();
    const job = (await submit({}, '', { 'idempotency-key': 'pipeline-42' })).body;
    const own = await call('GET', '/v1/jobs?idempotencyKey=pipeline-42');
    expect(own.body.jobs.map((j: { id: string }) => j.id)).toEqual([job.id]);
    expect((await call('GET', '/v1/jobs?idempotencyKey=pipeline-42', { who: 'bob' })).body.jobs).toEqual([]);
    const admin = await call('GET', '/v1/jobs?idempotencyKey=pipeline-42&owner=alice', { who: 'root' });
    expect(admin.body.jobs.map((j: { id: string }) => j.id)).toEqual([job.id]);
    expect((await call('GET', '/v1/jobs?idempotencyKey=other')).body.jobs).toEqual([]);
  });
});

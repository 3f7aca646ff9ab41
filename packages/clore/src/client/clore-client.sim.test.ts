import { type SimHandle, type SimServer, startSimulator } from '@clore-batch/clore-sim';
import { it } from '@clore-batch/clore-sim/sim-fixture';
import { rejectionOf, waitFor } from '@clore-batch/testing';
import { afterAll, afterEach, beforeAll, describe, expect } from 'vitest';
import { classifyCloreError, REQUIRED_PRICE_REFUSED } from '../errors/classify';
import { CloreApiError } from '../errors/clore-api-error';
import { CloreTransportError } from '../errors/clore-transport-error';
import { hashApiKey } from '../hash-api-key';
import { orderSpendUsd } from '../model/order';
import { sendRequest } from '../transport/send-request';
import { CloreClient } from './clore-client';
import { createFeeBook } from './fee-book';

const KEY = 'sim-test-key-real-shape';
const OWNER_KEY = 'sim-test-key-host';
const FAST = { generalMs: 0, createMs: 0, spotLowerMs: 600_000 };

function pick(sim: SimHandle, predicate: (server: SimServer) => boolean): SimServer {
  const server = [...sim.sim.servers.values()].find(predicate);
  if (server === undefined) {
    throw new Error('the generated marketplace has no server for this case');
  }
  return server;
}

const rentable = (s: SimServer) => s.online && !s.gigaspot && !s.rentedExternally;

function clientFor(
  sim: SimHandle,
  key = KEY,
  extra: Partial<ConstructorParameters<typeof CloreClient>[0]> = {},
) {
  return new CloreClient({
    baseUrl: sim.url,
    apiKey: key,
    retry: { maxAttempts: 1 },
    timeoutMs: 2_000,
    ...extra,
  });
}

/** An on-demand order on `server`, paid in USD-Blockchain. */
function onDemandOrder(client: CloreClient, server: SimServer) {
  return client.createOrder({
    serverId: server.id,
    type: 'on-demand',
    currency: 'USD-Blockchain',
    image: 'x',
  });
}

/** Bid `bidPerDay` in bitcoin for a spot order on `server`; its order id. */
async function spotOrder(client: CloreClient, server: SimServer, bidPerDay: number): Promise<number> {
  await client.createOrder({
    serverId: server.id,
    type: 'spot',
    currency: 'bitcoin',
    image: 'x',
    spotPricePerDay: bidPerDay,
  });
  return (await client.findOrderByServer({ serverId: server.id }))?.id ?? -1;
}

describe('CloreClient against the simulator (real shape)', () => {
  let sim: SimHandle;
  let ownServer: SimServer;
  const used = new Set<number>();
  /** A fresh rentable server accepting `currency` (each test rents its own). */
  const fresh = (currency = 'USD-Blockchain') => {
    const server = pick(
      sim,
      (s) =>
        rentable(s) &&
        !used.has(s.id) &&
        s.id !== ownServer.id &&
        (s.allowedCoins as string[]).includes(currency),
    );
    used.add(server.id);
    return server;
  };

  beforeAll(async () => {
    const probe = await startSimulator({ seed: 7, servers: 80, limits: FAST });
    const own = [...probe.sim.servers.values()].find(rentable)?.id ?? 1;
    await probe.close();
    sim = await startSimulator({
      seed: 7,
      servers: 80,
      limits: FAST,
      provisioningMs: [50, 150],
      keys: [{ key: KEY }, { key: OWNER_KEY, ownServers: [own] }],
    });
    ownServer = pick(sim, (s) => s.id === own);
    used.add(own);
  });

  afterAll(async () => {
    await sim.close();
  });

  it('reads wallets', async () => {
    const wallets = await clientFor(sim).wallets();
    expect(wallets.map((w) => w.currency).sort()).toEqual(['CLORE-Blockchain', 'USD-Blockchain', 'bitcoin']);
    expect(wallets.find((w) => w.currency === 'USD-Blockchain')?.balance).toBe(1_000);
  });

  it('reads the marketplace into the model, with USD rates matching the simulator', async () => {
    const market = await clientFor(sim).marketplace();
    expect(market.servers).toHaveLength(80);
    expect(market.skipped).toEqual([]);
    expect(market.usdRates['CLORE-Blockchain']).toBeCloseTo(0.02, 6);
    expect(market.usdRates.bitcoin).toBeCloseTo(60_000, 0);
    const raw = pick(sim, (s) => s.id === market.servers[0]?.id);
    const server = market.servers[0];
    expect(server?.gpuCount).toBe(raw.gpuCount);
    expect(server?.gpus[0]).toBe(raw.gpuModel);
    expect(server?.reliability).toBe(raw.reliability);
    expect(server?.allowedCurrencies).toEqual(raw.allowedCoins);
    const coin = raw.allowedCoins[0] ?? 'USD-Blockchain';
    // price.usd is per day in the simulator (its default), so the hourly USD is a 24th of the daily one.
    const expected = ((raw.onDemand[coin] ?? 0) * (market.usdRates[coin] ?? 0)) / 24;
    expect(server?.usdPerHour.onDemand[coin]).toBeCloseTo(expected, 4);
    expect(market.servers.some((s) => s.gigaspot)).toBe(true);
  });

  it('creates an order (no id in the real shape), finds it by server, polls it ready, cancels it', async () => {
    const client = clientFor(sim);
    const server = fresh();
    const before = Math.floor(Date.now() / 1000) - 1;
    const created = await client.createOrder({
      serverId: server.id,
      type: 'on-demand',
      currency: 'USD-Blockchain',
      image: 'cloreai/ubuntu:22.04',
      sshKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDummyKeyForTheSimulatorOnly test',
      ports: { '22': 'tcp' },
    });
    expect(created).toEqual({});
    const found = await client.findOrderByServer({ serverId: server.id, createdAfter: before });
    expect(found).toMatchObject({
      serverId: server.id,
      currency: 'USD-Blockchain',
      active: true,
      spot: false,
    });
    const id = found?.id ?? -1;
    expect(await client.findOrderByServer({ serverId: server.id, excludeOrderIds: [id] })).toBeUndefined();
    const ready = await waitFor(async () => (await client.myOrders()).find((o) => o.id === id && o.ready), {
      timeoutMs: 10_000,
      message: 'the order ready',
    });
    expect(ready).toMatchObject({
      ready: true,
      online: true,
      containerUp: true,
      deployed: true,
      monContainer: 2,
      ssh: { host: '127.0.0.1', user: 'root' },
    });
    expect(ready?.ssh?.port).toBeGreaterThan(0);
    expect(orderSpendUsd(ready, { 'USD-Blockchain': 1 })).toBeGreaterThan(0);

    await client.cancelOrder({ id, issue: 'x'.repeat(5_000) });
    expect(await client.myOrders()).toEqual([]);
    const all = await client.myOrders({ returnCompleted: true });
    expect(all.find((o) => o.id === id)).toMatchObject({ expired: true, active: false, ready: false });
    expect(all.find((o) => o.id === id)?.ssh).toBeUndefined();
    const cancelAgain = await rejectionOf(client.cancelOrder({ id }));
    expect(cancelAgain).toMatchObject({ apiError: 'order_not_active' });
    expect(classifyCloreError(cancelAgain).action).toBe('already_done');
  });

  it('cancels many orders in one call and reports the ids it could not cancel as numbers', async () => {
    const client = clientFor(sim);
    const servers = [fresh(), fresh()];
    for (const server of servers) {
      await onDemandOrder(client, server);
    }
    const ids = (await client.myOrders()).map((o) => o.id);
    expect(ids).toHaveLength(2);
    const result = await client.cancelOrders({ ids: [...ids, 987_654] });
    expect(result).toEqual({ failedIds: [987_654], errors: [] });
    expect(await client.myOrders()).toEqual([]);
  });

  it('places a spot order, reads the spot market, raises and lowers the bid, and maps every set_spot_price error', async () => {
    const client = clientFor(sim);
    const server = fresh('bitcoin');
    const min = server.spotMin.bitcoin ?? 0;
    const orderId = await spotOrder(client, server, min + 0.00001);
    expect((await client.findOrderByServer({ serverId: server.id }))?.spot).toBe(true);

    const market = await client.spotMarketplace({ serverId: server.id });
    expect(market).toMatchObject({ serverId: server.id, exists: true, online: true });
    expect(market.offers).toEqual([
      { orderId, bidPerDay: min + 0.00001, active: true, mine: true, currency: 'bitcoin' },
    ]);
    expect(market.minPricePerDay.bitcoin).toBe(min);
    expect(market.usdRates.bitcoin).toBe(60_000);
    expect((await client.spotMarketplace({ serverId: 999_999 })).exists).toBe(false);

    await client.setSpotPrice({ orderId, desiredPricePerDay: min + 0.00002 });
    await client.setSpotPrice({ orderId, desiredPricePerDay: min + 0.0000195 });

    const again = await rejectionOf(client.setSpotPrice({ orderId, desiredPricePerDay: min + 0.000019 }));
    expect(again).toMatchObject({ apiError: 'can_lower_every_600_seconds' });
    expect((again as CloreApiError).extra.timeToLoweringSeconds).toBeGreaterThan(590);
    expect(classifyCloreError(again)).toMatchObject({ action: 'retry_later' });
    expect(classifyCloreError(again).retryAfterMs).toBeGreaterThan(590_000);

    const tooLow = await rejectionOf(client.setSpotPrice({ orderId, desiredPricePerDay: min / 2 }));
    expect(tooLow).toMatchObject({ apiError: 'amount_too_low' });
    const gone = await rejectionOf(client.setSpotPrice({ orderId: 999_999, desiredPricePerDay: 1 }));
    expect(gone).toMatchObject({ apiError: 'order_dont_exist' });
    expect(classifyCloreError(gone).action).toBe('skip');

    const second = await rejectionOf(
      client.createOrder({
        serverId: server.id,
        type: 'spot',
        currency: 'bitcoin',
        image: 'x',
        spotPricePerDay: min * 3,
      }),
    );
    expect(second).toMatchObject({ apiError: 'you_already_have_spot_order' });
    await client.cancelOrder({ id: orderId });
  });

  it('reports exceeded_max_step with max_step', async () => {
    const client = clientFor(sim);
    const server = fresh('bitcoin');
    const min = server.spotMin.bitcoin ?? 0;
    const orderId = await spotOrder(client, server, min + 0.00001);
    const error = await rejectionOf(client.setSpotPrice({ orderId, desiredPricePerDay: min }));
    expect(error).toMatchObject({ apiError: 'exceeded_max_step' });
    expect((error as CloreApiError).extra.maxStep).toBe(0.000001);
    expect(classifyCloreError(error).action).toBe('skip');
    await client.cancelOrder({ id: orderId });
  });

  it('maps every create_order refusal to an error string and a classification', async () => {
    const client = clientFor(sim);
    const create = (serverId: number, currency = 'USD-Blockchain', key = KEY) =>
      rejectionOf(
        (key === KEY ? client : clientFor(sim, key)).createOrder({
          serverId,
          type: 'on-demand',
          currency,
          image: 'x',
        }),
      );
    const offline = pick(sim, (s) => !s.online && !s.gigaspot);
    const gigaspot = pick(sim, (s) => s.gigaspot);
    const narrow = pick(sim, (s) => rentable(s) && !s.allowedCoins.includes('bitcoin'));
    const taken = fresh();
    sim.rentServer(taken.id);
    const cases: [Promise<Error>, string][] = [
      [create(999_999), 'server-dont-exist'],
      [create(offline.id, offline.allowedCoins[0]), 'server-offline'],
      [create(gigaspot.id, gigaspot.allowedCoins[0]), 'machine-is-on-gigaspot'],
      [create(narrow.id, 'bitcoin'), 'currency-not-allowed'],
      [create(taken.id), 'server-already-rented'],
      [create(ownServer.id, ownServer.allowedCoins[0], OWNER_KEY), 'cant_rent_from_yourself'],
    ];
    for (const [promise, expected] of cases) {
      const error = await promise;
      expect(error).toBeInstanceOf(CloreApiError);
      expect(error).toMatchObject({
        code: 'CLORE_API_ERROR',
        apiCode: 6,
        apiError: expected,
        endpoint: 'create_order',
        httpStatus: 200,
      });
      expect(classifyCloreError(error)).toMatchObject({
        action: 'next_server',
        cause: expected,
        orderMayExist: false,
      });
    }
    const cheap = fresh('bitcoin');
    const low = await rejectionOf(
      client.createOrder({
        serverId: cheap.id,
        type: 'spot',
        currency: 'bitcoin',
        image: 'x',
        spotPricePerDay: (cheap.spotMin.bitcoin ?? 0) / 2,
      }),
    );
    expect(low).toMatchObject({ apiError: 'too_low_price' });
    expect(classifyCloreError(low).action).toBe('next_server');

    sim.setBalance(KEY, 'CLORE-Blockchain', 0);
    const poor = fresh('CLORE-Blockchain');
    const broke = await create(poor.id, 'CLORE-Blockchain');
    expect(broke).toMatchObject({ apiError: 'not_enough_balance' });
    expect(classifyCloreError(broke)).toMatchObject({
      action: 'fail_job',
      jobReason: 'insufficient_balance',
    });
  });

  it('maps every cancel_order error string', async () => {
    const client = clientFor(sim);
    const notMine = await rejectionOf(client.cancelOrder({ id: 999_999 }));
    expect(notMine).toMatchObject({ apiError: 'you_dont_own_this_order' });
    expect(classifyCloreError(notMine)).toMatchObject({ action: 'fail_job', jobReason: 'internal' });
    // The client cuts `issue` to 2 048 characters; sent raw, a longer one is refused.
    const raw = await rejectionOf(
      sendRequest({
        fetch,
        baseUrl: sim.url,
        apiKey: KEY,
        endpoint: 'cancel_order',
        method: 'POST',
        body: { id: 1, issue: 'x'.repeat(2_049) },
        timeoutMs: 2_000,
      }),
    );
    expect(raw).toMatchObject({ apiError: 'issue_description_too_long' });
    expect(classifyCloreError(raw)).toMatchObject({ action: 'fail_job', jobReason: 'internal' });
  });

  it('maps code 3 (unknown key) to CLORE_AUTH_FAILED without leaking the key', async () => {
    const badKey = 'definitely-not-a-valid-key-123456';
    const error = await rejectionOf(clientFor(sim, badKey).wallets());
    expect(error).toMatchObject({ code: 'CLORE_AUTH_FAILED', apiCode: 3, httpStatus: 401 });
    expect(`${error.message}${JSON.stringify(error)}`).not.toContain(badKey);
    const calls = sim.sim.calls.list().filter((c) => c.keyHash === hashApiKey(badKey));
    expect(calls).toHaveLength(1);
  });

  it('reports faults: non-JSON, HTTP 500/502, timeout, reset, create code 1 and a lost create answer', async () => {
    const client = clientFor(sim, KEY, { timeoutMs: 300 });
    const expectFault = async (fault: string, check: (error: Error) => void) => {
      sim.setFaults({ endpoints: { wallets: { [fault]: 1 } } });
      check(await rejectionOf(client.wallets()));
      sim.setFaults({});
    };
    await expectFault('nonJson', (e) =>
      expect(e).toMatchObject({ code: 'CLORE_TRANSPORT_ERROR', kind: 'non_json', httpStatus: 200 }),
    );
    await expectFault('http500', (e) =>
      expect(e).toMatchObject({ code: 'CLORE_TRANSPORT_ERROR', kind: 'http_status', httpStatus: 500 }),
    );
    await expectFault('http502', (e) =>
      expect(e).toMatchObject({ code: 'CLORE_TRANSPORT_ERROR', kind: 'http_status', httpStatus: 502 }),
    );
    await expectFault('hang', (e) => expect(e).toMatchObject({ code: 'CLORE_TIMEOUT', kind: 'timeout' }));
    await expectFault('reset', (e) => {
      expect(e).toBeInstanceOf(CloreTransportError);
      expect(e).toMatchObject({ code: 'CLORE_TRANSPORT_ERROR', kind: 'reset' });
    });

    const server = fresh();
    sim.setFaults({ endpoints: { create_order: { code1: 1 } } });
    const code1 = await rejectionOf(
      client.createOrder({ serverId: server.id, type: 'on-demand', currency: 'USD-Blockchain', image: 'x' }),
    );
    expect(code1).toMatchObject({ code: 'CLORE_API_ERROR', apiCode: 1, httpStatus: 500 });
    expect(classifyCloreError(code1)).toMatchObject({ action: 'next_server', orderMayExist: true });

    // The order IS created and its answer lost: the client must not create again; the look-up finds it.
    sim.setFaults({ endpoints: { create_order: { lostResponse: 1 } } });
    const lost = await rejectionOf(
      client.createOrder({ serverId: server.id, type: 'on-demand', currency: 'USD-Blockchain', image: 'x' }),
    );
    sim.setFaults({});
    expect(lost).toMatchObject({ code: 'CLORE_TRANSPORT_ERROR', kind: 'reset', mayHaveReachedServer: true });
    expect(classifyCloreError(lost).orderMayExist).toBe(true);
    const creates = sim.sim.calls
      .list()
      .filter((c) => c.endpoint === 'create_order' && c.fault === 'lostResponse');
    expect(creates).toHaveLength(1);
    const found = await client.findOrderByServer({ serverId: server.id });
    expect(found?.serverId).toBe(server.id);
    await client.cancelOrder({ id: found?.id ?? -1 });
  });
});

describe('CloreClient against the simulator (seeds shape)', () => {
  let sim: SimHandle;

  beforeAll(async () => {
    sim = await startSimulator({
      seed: 11,
      servers: 30,
      shape: 'seed',
      limits: FAST,
      provisioningMs: [50, 100],
    });
  });

  afterAll(async () => {
    await sim.close();
  });

  it('reads create_order with an order id, orders by order_id/renting_server/status/connection.ssh', async () => {
    const client = clientFor(sim, sim.keys[0]);
    const server = pick(sim, (s) => rentable(s) && s.allowedCoins.includes('USD-Blockchain'));
    const created = await client.createOrder({
      serverId: server.id,
      type: 'on-demand',
      currency: 'USD-Blockchain',
      image: 'x',
    });
    expect(created.orderId).toBeGreaterThan(0);
    const first = (await client.myOrders()).find((o) => o.id === created.orderId);
    expect(first).toMatchObject({ serverId: server.id, active: true, currency: 'USD-Blockchain' });
    const order = await waitFor(
      async () => (await client.myOrders()).find((o) => o.id === created.orderId && o.ready),
      {
        timeoutMs: 10_000,
        message: 'the order ready',
      },
    );
    expect(order).toMatchObject({
      ready: true,
      providerStatus: 'running',
      ssh: { host: '127.0.0.1', user: 'root' },
    });
    expect(await client.findOrderByServer({ serverId: server.id, createdAfter: 0 })).toMatchObject({
      id: created.orderId,
    });
    await client.cancelOrder({ id: created.orderId ?? -1 });
    const ended = (await client.myOrders({ returnCompleted: true })).find((o) => o.id === created.orderId);
    expect(ended).toMatchObject({ expired: true, active: false, providerStatus: 'expired' });
    expect((await client.wallets()).length).toBe(3);
    expect((await client.marketplace()).servers).toHaveLength(30);
  });
});

describe('CloreClient against the simulator (rate limits)', () => {
  let sim: SimHandle;

  beforeAll(async () => {
    sim = await startSimulator({ seed: 3, servers: 10, limits: { generalMs: 300, createMs: 1_000 } });
  });

  afterAll(async () => {
    await sim.close();
  });

  it('reads HTTP 429 {"code":5} as CLORE_RATE_LIMITED and, with retries, waits it out', async () => {
    const noRetry = clientFor(sim, sim.keys[0]);
    await noRetry.wallets();
    const limited = await rejectionOf(noRetry.wallets());
    expect(limited).toMatchObject({
      code: 'CLORE_RATE_LIMITED',
      apiCode: 5,
      httpStatus: 429,
      endpoint: 'wallets',
    });
    expect(classifyCloreError(limited).action).toBe('retry_later');

    const patient = clientFor(sim, sim.keys[0], {
      retry: { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 400 },
    });
    await patient.wallets();
    expect((await patient.marketplace()).servers).toHaveLength(10);
    const codes = sim.sim.calls.list().map((c) => c.code);
    expect(codes.filter((c) => c === 5).length).toBeGreaterThanOrEqual(2);
    expect(codes.at(-1)).toBe(0);
  });
});

describe('CloreClient against the simulator (price.usd per hour)', () => {
  it('gives the same USD per hour and rates when price.usd is per hour and the setting says so', async ({
    startSim,
  }) => {
    const daily = await startSim({ seed: 13, servers: 20, limits: FAST });
    const hourly = await startSim({ seed: 13, servers: 20, limits: FAST, usdPriceUnit: 'hour' });
    const byDay = await clientFor(daily, daily.keys[0]).marketplace();
    const byHour = await clientFor(hourly, hourly.keys[0], { priceUnit: 'per_hour' }).marketplace();
    expect(byHour.usdRates['CLORE-Blockchain']).toBeCloseTo(byDay.usdRates['CLORE-Blockchain'] ?? 0, 6);
    expect(byHour.usdRates.bitcoin).toBeCloseTo(byDay.usdRates.bitcoin ?? 0, 0);
    byHour.servers.forEach((server, i) => {
      const same = byDay.servers[i];
      expect(server.pricePerDay).toEqual(same?.pricePerDay);
      for (const [currency, usd] of Object.entries(same?.usdPerHour.onDemand ?? {})) {
        expect(server.usdPerHour.onDemand[currency]).toBeCloseTo(usd, 4);
      }
    });
    // Read with the wrong setting, the same answer is 24 times off: the setting matters.
    const wrong = await clientFor(hourly, hourly.keys[0]).marketplace();
    const coin = Object.keys(wrong.servers[0]?.usdPerHour.onDemand ?? {})[0] ?? '';
    expect(wrong.servers[0]?.usdPerHour.onDemand[coin]).toBeCloseTo(
      (byDay.servers[0]?.usdPerHour.onDemand[coin] ?? 0) / 24,
      6,
    );
  });
});

describe('CloreClient against the simulator (provider fidelity)', () => {
  const FIDELITY_KEY = 'sim-test-key-fidelity';
  let sim: SimHandle;
  const used = new Set<number>();
  const fresh = (currency = 'USD-Blockchain') => {
    const server = pick(
      sim,
      (s) => rentable(s) && !used.has(s.id) && (s.allowedCoins as string[]).includes(currency),
    );
    used.add(server.id);
    return server;
  };

  beforeAll(async () => {
    sim = await startSimulator({
      seed: 8,
      servers: 60,
      limits: FAST,
      provisioningMs: [20, 50],
      keys: [{ key: FIDELITY_KEY }],
    });
  });

  afterAll(async () => {
    await sim.close();
  });

  afterEach(async () => {
    // Every test cancels what it rented, so no sshd outlives it. Wait until the orders are deployed
    // first (mon_container 2; an image without sshd and without autossh_entrypoint never gets one).
    await waitFor(() => sim.orders().every((o) => !o.active || o.monContainer === 2), {
      message: 'the orders are deployed',
    });
    const ids = (await clientFor(sim, FIDELITY_KEY).myOrders())
      .filter((o) => o.id < 9_000_000)
      .map((o) => o.id);
    if (ids.length > 0) {
      await clientFor(sim, FIDELITY_KEY).cancelOrders({ ids });
    }
    await sim.sim.settle();
  });

  const control = async (method: 'POST' | 'DELETE', path: string, body?: unknown) => {
    const response = await fetch(`${sim.url}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { ids?: number[] };
  };

  it('a malformed foreign order on the key neither hides ours nor the readable foreign one', async () => {
    const client = clientFor(sim, FIDELITY_KEY);
    const server = fresh();
    await onDemandOrder(client, server);
    const nulls = await control('POST', `/_sim/keys/${hashApiKey(FIDELITY_KEY)}/foreign-orders`, {
      nullFields: [
        'http_pub',
        'pub_cluster',
        'tcp_ports',
        'spend',
        'fee',
        'order_end',
        'gpu_count',
        'rating',
      ],
    });
    const broken = await control('POST', `/_sim/keys/${hashApiKey(FIDELITY_KEY)}/foreign-orders`, {
      nullFields: ['currency', 'price'],
    });
    try {
      const report = await client.myOrdersReport({});
      expect(report.orders.map((o) => o.serverId)).toContain(server.id);
      const foreign = report.orders.find((o) => o.id === nulls.ids?.[0]);
      expect(foreign).toMatchObject({ active: true, deployed: true, ready: true });
      expect(foreign?.spend).toBeUndefined();
      expect(foreign?.ssh).toBeUndefined();
      expect(report.unreadable).toEqual([
        {
          index: expect.any(Number),
          id: broken.ids?.[0],
          serverId: expect.any(Number),
          problems: [expect.stringContaining('currency missing'), expect.stringContaining('price missing')],
        },
      ]);
      expect((await client.myOrders()).length).toBe(2);
    } finally {
      await control('DELETE', `/_sim/keys/${hashApiKey(FIDELITY_KEY)}/foreign-orders`);
    }
  });

  it('reads the Part A 17 fields the simulator sends, and fee null on USD-Blockchain as absent', async () => {
    const client = clientFor(sim, FIDELITY_KEY);
    const server = fresh();
    await onDemandOrder(client, server);
    const order = await client.findOrderByServer({ serverId: server.id });
    expect(order).toMatchObject({
      gpuCount: server.gpuCount,
      totalGpus: server.gpuCount,
      ownerId: server.owner,
      cudaVersion: server.cudaVersion,
      reliability: server.reliability,
    });
    expect(order?.gpuArray).toHaveLength(server.gpuCount);
    expect(order?.fee).toBeUndefined();
    expect(order?.orderEnd).toBe((order?.createdAt ?? 0) + (order?.mrlHours ?? 0) * 3600);
  });

  it('renterFees and the fee book give the creation fee the simulator charges', async () => {
    const client = clientFor(sim, FIDELITY_KEY);
    const book = createFeeBook(client, { ttlMs: 60_000 });
    for (const currency of ['USD-Blockchain', 'CLORE-Blockchain'] as const) {
      const server = fresh(currency);
      await client.createOrder({ serverId: server.id, type: 'on-demand', currency, image: 'x' });
      const order = await client.findOrderByServer({ serverId: server.id });
      expect(await book.creationFee(currency, 'on-demand')).toBe(order?.creationFee);
    }
    expect(await book.creationFee('USD-Blockchain', 'on-demand')).toBe(0.1);
    const fees = await client.renterFees();
    expect(fees.creationFees.spot['USD-Blockchain']).toBe(0.1);
    expect(sim.sim.calls.list().filter((c) => c.endpoint === 'renter_fees')).toHaveLength(2);
  });

  it('a required_price below the booked price is refused and moves on to the next server', async () => {
    const client = clientFor(sim, FIDELITY_KEY);
    const server = fresh();
    const price = server.onDemand['USD-Blockchain'] ?? 0;
    const error = await rejectionOf(
      client.createOrder({
        serverId: server.id,
        type: 'on-demand',
        currency: 'USD-Blockchain',
        image: 'x',
        requiredPricePerDay: price * 0.9,
      }),
    );
    expect(error).toMatchObject({ apiCode: 6, apiError: REQUIRED_PRICE_REFUSED });
    expect(classifyCloreError(error)).toEqual({
      action: 'next_server',
      cause: REQUIRED_PRICE_REFUSED,
      orderMayExist: false,
    });
    await client.createOrder({
      serverId: server.id,
      type: 'on-demand',
      currency: 'USD-Blockchain',
      image: 'x',
      requiredPricePerDay: price,
      dockerhubAuth: 'robot:registry-secret-value',
    });
    const booked = await client.findOrderByServer({ serverId: server.id });
    expect(booked?.pricePerDay).toBe(price);
    const summary = sim.orders().find((o) => o.id === booked?.id);
    expect(summary).toMatchObject({ dockerhubAuth: 'set' });
    expect(JSON.stringify(sim.orders())).not.toContain('registry-secret-value');
  });

  it('a host that repriced after the listing books a renter without required_price above its cap', async ({
    startSim,
  }) => {
    const repricing = await startSim({
      seed: 8,
      servers: 20,
      limits: FAST,
      provisioningMs: [20, 50],
      keys: [{ key: FIDELITY_KEY }],
      provider: { repriceChance: 1, repriceFactor: 1.2 },
    });
    const client = clientFor(repricing, FIDELITY_KEY);
    const serverId = pick(
      repricing,
      (s) => rentable(s) && (s.allowedCoins as string[]).includes('USD-Blockchain'),
    ).id;
    const market = await client.marketplace();
    const listed = market.servers.find((s) => s.id === serverId)?.pricePerDay.onDemand['USD-Blockchain'];
    expect(listed).toBeGreaterThan(0);
    await client.createOrder({ serverId, type: 'on-demand', currency: 'USD-Blockchain', image: 'x' });
    const booked = await client.findOrderByServer({ serverId });
    expect(booked?.pricePerDay).toBeCloseTo((listed ?? 0) * 1.2, 9);
    await waitFor(() => repricing.orders().every((o) => o.monContainer === 2), {
      message: 'the order is deployed',
    });
    await client.cancelOrder({ id: booked?.id ?? -1 });
    await repricing.sim.settle();
  });
});

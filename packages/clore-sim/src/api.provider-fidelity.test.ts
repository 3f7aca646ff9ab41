import { waitFor } from '@clore-batch/testing';
import { describe, expect } from 'vitest';
import { availableServer, callApi, FAST, simGet, simSend } from '../test/sim-api';
import { it as simIt } from '../test/sim-fixture';
import { USD_RATES } from './currencies';
import { keyHash } from './key-hash';
import { REQUIRED_PRICE_ERROR } from './orders/create-checks';
import type { SimHandle } from './start';

// biome-ignore lint/suspicious/noExplicitAny: API bodies are checked field by field
type Json = Record<string, any>;

const KEY = 'key-fidelity';
const OTHER = 'key-fidelity-other';
const DAY_MS = 86_400_000;
const it = simIt.extend('simOptions', { ...FAST, seed: 11, keys: [{ key: KEY }, { key: OTHER }] });

async function create(
  handle: SimHandle,
  serverId: number,
  extra: Record<string, unknown> = {},
  key = KEY,
): Promise<Json> {
  return (
    await callApi(handle, key, 'create_order', {
      body: { renting_server: serverId, type: 'on-demand', currency: 'USD-Blockchain', image: 'x', ...extra },
    })
  ).body;
}

async function myOrders(handle: SimHandle, key = KEY, completed = false): Promise<Json[]> {
  const res = await callApi(
    handle,
    key,
    'my_orders',
    completed ? { query: { return_completed: 'true' } } : {},
  );
  expect(res.body.code).toBe(0);
  return res.body.orders as Json[];
}

describe('creation fee (Part A 11)', () => {
  it('charges 0.10 USD per order at create, in the order currency, on top of spend', async ({ startSim }) => {
    const handle = await startSim();
    const startUsd = handle.sim.balancesOf(KEY)['USD-Blockchain'];
    const startClore = handle.sim.balancesOf(KEY)['CLORE-Blockchain'];
    const usdServer = availableServer(handle, 'USD-Blockchain');
    expect(await create(handle, usdServer)).toEqual({ code: 0 });
    const cloreServer = availableServer(handle, 'CLORE-Blockchain', [usdServer]);
    expect(await create(handle, cloreServer, { currency: 'CLORE-Blockchain' })).toEqual({ code: 0 });
    const [usd, clore] = handle.sim.ordersOf(KEY);
    expect(usd!.creationFee).toBe(0.1);
    expect(clore!.creationFee).toBeCloseTo(0.1 / USD_RATES['CLORE-Blockchain'], 9);
    // The simulator's own figures, read in one synchronous turn: balance + spend + fee = start.
    handle.sim.tick();
    expect(handle.sim.balancesOf(KEY)['USD-Blockchain'] + usd!.spend).toBeCloseTo(startUsd - 0.1, 9);
    expect(handle.sim.balancesOf(KEY)['CLORE-Blockchain'] + clore!.spend).toBeCloseTo(
      startClore - clore!.creationFee,
      9,
    );
    // spend is price x billed time only: it excludes the fee.
    expect(usd!.spend).toBeCloseTo((usd!.price * (usd!.billedUntilSim - usd!.createdAtSim)) / DAY_MS, 9);
    const listed = (await myOrders(handle)).find((o) => o.id === usd!.id)!;
    expect(listed.creation_fee).toBe(0.1);
    expect(listed.spend).toBeLessThan(0.1);
  });

  it('takes the fee model from a setting, per order type', async ({ startSim }) => {
    const handle = await startSim({ provider: { creationFeeUsd: { onDemand: 0.2, spot: 0.05 } } });
    const server = availableServer(handle, 'USD-Blockchain');
    const min = handle.sim.servers.get(server)!.spotMin['USD-Blockchain']!;
    expect(await create(handle, server, { type: 'spot', spotprice: min })).toEqual({ code: 0 });
    const other = availableServer(handle, 'USD-Blockchain', [server]);
    expect(await create(handle, other)).toEqual({ code: 0 });
    expect(handle.sim.ordersOf(KEY).map((o) => o.creationFee)).toEqual([0.05, 0.2]);
  });

  it('GET /v1/renter_fees answers the creation fees the simulator charges', async ({ startSim }) => {
    const handle = await startSim({ provider: { creationFeeUsd: { onDemand: 0.1, spot: 0.04 } } });
    const res = await callApi(handle, KEY, 'renter_fees');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      code: 0,
      renter_fees: {
        on_demand: { base: { 'CLORE-Blockchain': 0, bitcoin: 0, 'USD-Blockchain': 0 } },
        spot: { base: { 'CLORE-Blockchain': 0, bitcoin: 0, 'USD-Blockchain': 0 } },
      },
      creation_fees: {
        on_demand: { 'CLORE-Blockchain': 5, bitcoin: 0.0000016667, 'USD-Blockchain': 0.1 },
        spot: { 'CLORE-Blockchain': 2, bitcoin: 6.667e-7, 'USD-Blockchain': 0.04 },
      },
      poh_balance: 0,
    });
    const server = availableServer(handle, 'bitcoin');
    expect(await create(handle, server, { currency: 'bitcoin' })).toEqual({ code: 0 });
    expect(handle.sim.ordersOf(KEY)[0]!.creationFee).toBe(
      (res.body.creation_fees as Json).on_demand.bitcoin as number,
    );
    expect((await callApi(handle, undefined, 'renter_fees')).body.code).toBe(3);
  });
});

describe('my_orders fields (Part A 16, 17)', () => {
  it('sends order_end, gpu_count, total_gpus, and fee null on a USD-Blockchain order', async ({
    startSim,
  }) => {
    const handle = await startSim();
    const usdServer = availableServer(handle, 'USD-Blockchain');
    await create(handle, usdServer);
    const cloreServer = availableServer(handle, 'CLORE-Blockchain', [usdServer]);
    await create(handle, cloreServer, { currency: 'CLORE-Blockchain' });
    const [usd, clore] = await myOrders(handle);
    const server = handle.sim.servers.get(usdServer)!;
    expect(usd).toMatchObject({ fee: null, gpu_count: server.gpuCount, total_gpus: server.gpuCount });
    expect(usd!.order_end).toBe(Math.floor((usd!.ct * 1000 + usd!.mrl * 3_600_000) / 1000));
    expect(clore!.fee).toBe(0);
  });

  it('the nullFields fault sends display fields of our own orders as null, never spend or the address', async ({
    startSim,
  }) => {
    const handle = await startSim({ faults: { nullFields: 1 } });
    await create(handle, availableServer(handle, 'USD-Blockchain'));
    const [order] = await myOrders(handle);
    for (const field of ['http_pub', 'owner', 'rating', 'gpu_array', 'order_end', 'fee', 'cuda_version']) {
      expect(order![field], field).toBeNull();
    }
    expect(typeof order!.spend).toBe('number');
    expect(order!.tcp_ports).toHaveLength(1);
  });

  it('injects malformed foreign orders on a key, listed with nulls, cancellable, and cleared', async ({
    startSim,
  }) => {
    const handle = await startSim();
    await create(handle, availableServer(handle, 'USD-Blockchain'));
    const added = await simSend<{ ok: boolean; ids: number[] }>(
      handle,
      'POST',
      `/_sim/keys/${keyHash(KEY)}/foreign-orders`,
      { count: 2, nullFields: 'optional' },
    );
    expect(added.status).toBe(200);
    const required = await simSend<{ ids: number[] }>(handle, 'POST', `/_sim/keys/${KEY}/foreign-orders`, {
      nullFields: ['currency', 'price'],
      fields: { spend: 'lots' },
    });
    const orders = await myOrders(handle);
    expect(orders).toHaveLength(4);
    const [a] = added.body.ids;
    const nullOne = orders.find((o) => o.id === a)!;
    expect(nullOne).toMatchObject({
      http_pub: null,
      pub_cluster: null,
      tcp_ports: null,
      spend: null,
      fee: null,
    });
    expect(typeof nullOne.si).toBe('number');
    const requiredNull = orders.find((o) => o.id === required.body.ids[0])!;
    expect(requiredNull).toMatchObject({ currency: null, price: null, spend: 'lots' });
    // Only on that key.
    expect(await myOrders(handle, OTHER)).toEqual([]);
    // A cancel reaches it like any order of the key, and the control routes show it.
    expect((await callApi(handle, KEY, 'cancel_order', { body: { id: a } })).body).toEqual({ code: 0 });
    expect((await callApi(handle, KEY, 'cancel_order', { body: { id: a } })).body).toMatchObject({
      error: 'order_not_active',
    });
    expect((await myOrders(handle)).map((o) => o.id)).not.toContain(a);
    // Listed among the ended ones (its `expired` is one of the fields sent as null here).
    expect((await myOrders(handle, KEY, true)).find((o) => o.id === a)).toMatchObject({
      id: a,
      expired: null,
    });
    const listed = await simGet<{ orders: Json[] }>(handle, '/_sim/foreign-orders');
    expect(listed.orders.filter((o) => o.cancelled).map((o) => o.id)).toEqual([a]);
    expect((await simSend(handle, 'POST', '/_sim/keys/nobody/foreign-orders', {})).status).toBe(404);
    expect((await simSend(handle, 'POST', `/_sim/keys/${KEY}/foreign-orders`, { bogus: 1 })).status).toBe(
      400,
    );
    await fetch(`${handle.url}/_sim/keys/${KEY}/foreign-orders`, { method: 'DELETE' });
    expect(await myOrders(handle)).toHaveLength(1);
  });
});

describe('provider clock offset (Part A 18)', () => {
  it('stamps ct and order_end with the provider clock, settable at start and at runtime', async ({
    startSim,
  }) => {
    const behind = -3_600_000;
    const handle = await startSim({ provider: { clockOffsetMs: behind } });
    const before = Date.now();
    await create(handle, availableServer(handle, 'USD-Blockchain'));
    const after = Date.now();
    const [first] = await myOrders(handle);
    expect(first!.ct).toBeGreaterThanOrEqual(Math.floor((before + behind) / 1000));
    expect(first!.ct).toBeLessThanOrEqual(Math.ceil((after + behind) / 1000));

    const set = await simSend<Json>(handle, 'POST', '/_sim/clock', { offsetMs: 600_000 });
    expect(set.body).toMatchObject({ ok: true, offsetMs: 600_000 });
    expect((await simGet<Json>(handle, '/_sim/state')).clock.offsetMs).toBe(600_000);
    const realBefore = Date.now();
    await create(handle, availableServer(handle, 'USD-Blockchain', [first!.si]));
    const second = (await myOrders(handle)).find((o) => o.id !== first!.id)!;
    expect(second.ct).toBeGreaterThanOrEqual(Math.floor((realBefore + 600_000) / 1000));
    expect(second.ct - first!.ct).toBeGreaterThan(3_600 + 600 - 5);
    // A reset restores the offset the simulator started with, and clears foreign orders and windows.
    await simSend(handle, 'POST', `/_sim/keys/${KEY}/foreign-orders`, {});
    await simSend(handle, 'POST', '/_sim/my-orders-fault', { mode: 'empty', forMs: 60_000 });
    await simSend(handle, 'POST', '/_sim/reset');
    const state = await simGet<Json>(handle, '/_sim/state');
    expect(state.clock.offsetMs).toBe(behind);
    expect(state.myOrdersFaults).toEqual([]);
    expect((await simGet<Json>(handle, '/_sim/foreign-orders')).orders).toEqual([]);
  });

  it('a jump of the provider clock bills the jump; a jump back pauses billing', async ({ startSim }) => {
    const handle = await startSim({ clockSpeed: 1 });
    await create(handle, availableServer(handle, 'USD-Blockchain'));
    const order = handle.sim.ordersOf(KEY)[0]!;
    handle.sim.tick();
    const spendBefore = order.spend;
    await simSend(handle, 'POST', '/_sim/clock', { offsetMs: DAY_MS / 4 });
    handle.sim.tick();
    expect(order.spend - spendBefore).toBeGreaterThanOrEqual(order.price / 4);
    expect(order.spend).toBeCloseTo((order.price * (order.billedUntilSim - order.createdAtSim)) / DAY_MS, 9);
    await simSend(handle, 'POST', '/_sim/clock', { offsetMs: 0 });
    const paused = order.spend;
    handle.sim.tick();
    expect(order.spend).toBe(paused);
    expect(order.billedUntilSim).toBeGreaterThan(handle.sim.clock.now());
  });
});

describe('my_orders answers empty or short', () => {
  async function threeOrders(handle: SimHandle): Promise<void> {
    const used: number[] = [];
    for (let n = 0; n < 3; n += 1) {
      const server = availableServer(handle, 'USD-Blockchain', used);
      used.push(server);
      expect(await create(handle, server)).toEqual({ code: 0 });
    }
  }

  it('by probability: empty, or some active orders left out, and the call log says so', async ({
    startSim,
  }) => {
    const handle = await startSim();
    await threeOrders(handle);
    handle.setFaults({ myOrdersEmpty: 1 });
    expect(await myOrders(handle)).toEqual([]);
    handle.setFaults({ myOrdersShort: 1 });
    for (let n = 0; n < 5; n += 1) {
      const short = await myOrders(handle);
      expect(short.length).toBeLessThan(3);
    }
    handle.setFaults({});
    expect(await myOrders(handle)).toHaveLength(3);
    const faults = handle.sim.calls
      .list()
      .filter((c) => c.endpoint === 'my_orders')
      .map((c) => c.fault);
    expect(faults).toEqual([
      'myOrdersEmpty',
      'myOrdersShort',
      'myOrdersShort',
      'myOrdersShort',
      'myOrdersShort',
      'myOrdersShort',
      undefined,
    ]);
  });

  it('as a runtime switch for a time window, per key or for every key', async ({ startSim }) => {
    const handle = await startSim();
    await threeOrders(handle);
    const window = await simSend<Json>(handle, 'POST', '/_sim/my-orders-fault', {
      mode: 'empty',
      forMs: 400,
      key: keyHash(KEY),
    });
    expect(window.status).toBe(200);
    expect(await myOrders(handle)).toEqual([]);
    expect((await simGet<Json>(handle, '/_sim/state')).myOrdersFaults).toEqual([
      { mode: 'empty', until: window.body.until, keyHash: keyHash(KEY) },
    ]);
    await waitFor(async () => (await myOrders(handle)).length === 3, { message: 'the window closes' });
    expect(Date.now()).toBeGreaterThanOrEqual(window.body.until);
    await simSend(handle, 'POST', '/_sim/my-orders-fault', { mode: 'short', forMs: 60_000 });
    expect((await myOrders(handle)).length).toBeLessThan(3);
    await fetch(`${handle.url}/_sim/my-orders-fault`, { method: 'DELETE' });
    expect(await myOrders(handle)).toHaveLength(3);
    expect((await simSend(handle, 'POST', '/_sim/my-orders-fault', { mode: 'gone', forMs: 1 })).status).toBe(
      400,
    );
  });
});

describe('required_price and repricing hosts (Part A 14)', () => {
  it('refuses a required_price below the booked price (code 6, our assumption), accepts it at or above', async ({
    startSim,
  }) => {
    const handle = await startSim();
    const server = availableServer(handle, 'USD-Blockchain');
    const price = handle.sim.servers.get(server)!.onDemand['USD-Blockchain']!;
    const balance = handle.sim.balancesOf(KEY)['USD-Blockchain'];
    const refused = await callApi(handle, KEY, 'create_order', {
      body: {
        renting_server: server,
        type: 'on-demand',
        currency: 'USD-Blockchain',
        image: 'x',
        required_price: price * 0.99,
      },
    });
    expect(refused.status).toBe(200);
    expect(refused.body).toEqual({ code: 6, error: REQUIRED_PRICE_ERROR });
    expect(REQUIRED_PRICE_ERROR).toBe('price_above_required_price');
    expect(handle.sim.ordersOf(KEY)).toHaveLength(0);
    expect(handle.sim.balancesOf(KEY)['USD-Blockchain']).toBe(balance);
    expect(await create(handle, server, { required_price: price })).toEqual({ code: 0 });
    expect(handle.orders()[0]).toMatchObject({ price, requiredPrice: price });
  });

  it('a host that reprices between listing and create books a renter without required_price above the listing', async ({
    startSim,
  }) => {
    const handle = await startSim({ provider: { repriceChance: 1, repriceFactor: 1.2 } });
    const first = availableServer(handle, 'USD-Blockchain');
    const listed = handle.sim.servers.get(first)!.onDemand['USD-Blockchain']!;
    expect(await create(handle, first)).toEqual({ code: 0 });
    expect(handle.orders()[0]!.price).toBeCloseTo(listed * 1.2, 9);
    const second = availableServer(handle, 'USD-Blockchain', [first]);
    const listed2 = handle.sim.servers.get(second)!.onDemand['USD-Blockchain']!;
    expect(await create(handle, second, { required_price: listed2 })).toEqual({
      code: 6,
      error: REQUIRED_PRICE_ERROR,
    });
    // The new price stays listed.
    const market = (await callApi(handle, KEY, 'marketplace')).body.servers as Json[];
    expect(market.find((s) => s.id === second)!.price.on_demand['USD-Blockchain']).toBeCloseTo(
      listed2 * 1.2,
      9,
    );
  });

  it('with enforceRequiredPrice off, a low required_price is ignored', async ({ startSim }) => {
    const handle = await startSim({ provider: { enforceRequiredPrice: false } });
    expect(
      await create(handle, availableServer(handle, 'USD-Blockchain'), { required_price: 0.0001 }),
    ).toEqual({
      code: 0,
    });
  });
});

describe('dockerhub_auth (Part A 15)', () => {
  it('is accepted and recorded; /_sim/ shows only that it is set and a hash, never the value', async ({
    startSim,
  }) => {
    const handle = await startSim();
    const secret = 'robot:dckr_pat_FIDELITY-SECRET-123';
    expect(
      await create(handle, availableServer(handle, 'USD-Blockchain'), { dockerhub_auth: secret }),
    ).toEqual({
      code: 0,
    });
    expect(handle.sim.ordersOf(KEY)[0]!.dockerhubAuth).toBe(secret);
    const orders = await simGet<{ orders: Json[] }>(handle, '/_sim/orders');
    expect(orders.orders[0]).toMatchObject({ dockerhubAuth: 'set', dockerhubAuthHash: keyHash(secret) });
    for (const path of ['/_sim/orders', '/_sim/state', '/_sim/calls', '/_sim/foreign-orders']) {
      const text = await (await fetch(`${handle.url}${path}`)).text();
      expect(text, path).not.toContain(secret);
      expect(text, path).not.toContain('dckr_pat');
    }
    expect(JSON.stringify(await myOrders(handle))).not.toContain('dckr_pat');
    expect(
      (await callApi(handle, KEY, 'create_order', { body: { renting_server: 1, dockerhub_auth: 5 } })).body,
    ).toEqual({ code: 2 });
  });
});

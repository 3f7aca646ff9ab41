import { waitFor } from '@clore-batch/testing';
import { describe, expect } from 'vitest';
import { availableServer, callApi, FAST } from '../test/sim-api';
import { it as simIt } from '../test/sim-fixture';

// biome-ignore lint/suspicious/noExplicitAny: API bodies are checked field by field
type Json = Record<string, any>;

const KEY = 'key-endpoints';
const it = simIt.extend('simOptions', { ...FAST, keys: [{ key: KEY }], seed: 7 });

function createBody(serverId: number, extra: Record<string, unknown> = {}) {
  return {
    renting_server: serverId,
    type: 'on-demand',
    currency: 'CLORE-Blockchain',
    image: 'ubuntu:24.04',
    ...extra,
  };
}

describe.each(['real', 'seed'] as const)('every endpoint, %s shape', (shape) => {
  it('marketplace lists servers with prices per day, usd, specs and coins', async ({ startSim }) => {
    const handle = await startSim({ shape });
    const res = await callApi(handle, KEY, 'marketplace');
    expect(res.status).toBe(200);
    expect(res.body.code).toBe(0);
    const servers = res.body.servers as Array<Json>;
    expect(servers).toHaveLength(60);
    const s = servers[0]!;
    expect(Object.keys(s)).toEqual(
      expect.arrayContaining([
        'id',
        'owner',
        'mrl',
        'price',
        'rented',
        'specs',
        'reliability',
        'allowed_coins',
        'rating',
        'gpu_array',
        'cuda_version',
      ]),
    );
    expect(Object.keys(s.price.usd).sort()).toEqual([
      'on_demand_btc',
      'on_demand_clore',
      'on_demand_usd',
      'spot',
    ]);
    expect(s.specs.gpu).toMatch(/^\dx /);
    expect(typeof s.specs.cpus).toBe('string');
    expect(typeof s.specs.disk).toBe('string');
    for (const coin of s.allowed_coins) {
      expect(s.price.on_demand[coin]).toBeGreaterThan(0);
      expect(s.price.spot[coin]).toBeGreaterThan(0);
    }
  });

  it('wallets shows each currency with its balance', async ({ startSim }) => {
    const handle = await startSim({ shape });
    const res = await callApi(handle, KEY, 'wallets');
    expect(res.body.code).toBe(0);
    const wallets = res.body.wallets as Array<{
      name: string;
      balance: number;
      deposit: string;
      withdrawal_fee: number;
    }>;
    expect(wallets.map((w) => w.name)).toEqual(['CLORE-Blockchain', 'bitcoin', 'USD-Blockchain']);
    expect(wallets[0]!.balance).toBe(50_000);
  });

  it('create_order, my_orders (active and completed), cancel_order and cancel_orders', async ({
    startSim,
  }) => {
    const handle = await startSim({ shape });
    const serverId = availableServer(handle);
    const created = await callApi(handle, KEY, 'create_order', {
      body: createBody(serverId, { ports: { '22': 'tcp', '8888': 'http' } }),
    });
    expect(created.status).toBe(200);
    const orderId = handle.orders()[0]!.id;
    if (shape === 'real') {
      expect(created.body).toEqual({ code: 0 });
    } else {
      expect(created.body).toEqual({ code: 0, order_id: orderId });
    }
    const pending = (await callApi(handle, KEY, 'my_orders')).body.orders as Array<Json>;
    expect(pending).toHaveLength(1);
    const order = pending[0]!;
    const sshPort = handle.orders()[0]!.sshPort;
    if (shape === 'real') {
      expect(order).toMatchObject({
        id: orderId,
        si: serverId,
        currency: 'CLORE-Blockchain',
        pub_cluster: ['127.0.0.1'],
        tcp_ports: [`22:${sshPort}`],
        http_port: '8888',
        online: true,
        mon_container: 0,
        spot: false,
        expired: false,
        image: 'ubuntu:24.04',
      });
      expect(order).not.toHaveProperty('status');
      // The provider's own clock stamps ct (not this test's wall clock: load cannot break it).
      expect(order.ct).toBe(Math.floor(handle.orders()[0]!.createdAtSim / 1000));
      expect(order.creation_fee).toBeGreaterThan(0);
      expect(typeof order.spend).toBe('number');
    } else {
      expect(order).toMatchObject({
        order_id: orderId,
        renting_server: serverId,
        status: 'pending',
        connection: { ssh: `ssh root@127.0.0.1 -p ${sshPort}` },
      });
    }
    await waitFor(
      async () => {
        const o = ((await callApi(handle, KEY, 'my_orders')).body.orders as Array<Json>)[0]!;
        return shape === 'real' ? o.mon_container === 2 : o.status === 'running';
      },
      { message: 'order comes up (mon_container 2 = deployed)' },
    );

    const second = availableServer(handle, 'CLORE-Blockchain', [serverId]);
    await callApi(handle, KEY, 'create_order', { body: createBody(second) });
    const secondId = handle.orders()[1]!.id;

    expect((await callApi(handle, KEY, 'cancel_order', { body: { id: orderId } })).body).toEqual({ code: 0 });
    const batch = await callApi(handle, KEY, 'cancel_orders', {
      body: { order_ids: [secondId, orderId, 999] },
    });
    expect(batch.body).toEqual({ code: 0, failed_to_cancel: [String(orderId), '999'] });

    expect((await callApi(handle, KEY, 'my_orders')).body.orders).toEqual([]);
    const all = (await callApi(handle, KEY, 'my_orders', { query: { return_completed: 'true' } })).body
      .orders as Array<Json>;
    expect(all).toHaveLength(2);
    for (const o of all) {
      if (shape === 'real') {
        expect(o.expired).toBe(true);
      } else {
        expect(o.status).toBe('expired');
      }
    }
    expect(handle.orders().map((o) => o.endReason)).toEqual(['cancelled', 'cancelled']);
  });

  it('spot_marketplace shows offers, set_spot_price raises and lowers a bid', async ({ startSim }) => {
    const handle = await startSim({ shape });
    const serverId = availableServer(handle);
    const server = handle.sim.servers.get(serverId)!;
    const min = server.spotMin['CLORE-Blockchain']!;
    const bid = min + 2;
    const created = await callApi(handle, KEY, 'create_order', {
      body: createBody(serverId, { type: 'spot', spotprice: bid }),
    });
    expect(created.body.code).toBe(0);
    const orderId = handle.orders()[0]!.id;
    const market = await callApi(handle, KEY, 'spot_marketplace', { query: { market: String(serverId) } });
    expect(market.body).toMatchObject({
      code: 0,
      exists: true,
      market: {
        offers: [{ offer_id: orderId, bid, active: true, my: true, currency: 'CLORE-Blockchain' }],
        server: { min_pricing: server.spotMin, mrl: server.mrl, online: true },
        currency_rates_in_usd: { 'CLORE-Blockchain': 0.02, bitcoin: 60_000, 'USD-Blockchain': 1 },
      },
    });
    expect((await callApi(handle, KEY, 'spot_marketplace', { query: { market: '1' } })).body).toEqual({
      code: 0,
      exists: false,
    });
    expect(
      (await callApi(handle, KEY, 'set_spot_price', { body: { order_id: orderId, desired_price: bid + 5 } }))
        .body,
    ).toEqual({ code: 0 });
    expect(
      (await callApi(handle, KEY, 'set_spot_price', { body: { order_id: orderId, desired_price: bid + 4 } }))
        .body,
    ).toEqual({ code: 0 });
    expect(handle.orders()[0]!.price).toBe(bid + 4);
    const mine = (await callApi(handle, KEY, 'my_orders')).body.orders as Array<Json>;
    expect(mine[0]!.price).toBe(bid + 4);
    if (shape === 'real') {
      expect(mine[0]!.spot).toBe(true);
    }
  });
});

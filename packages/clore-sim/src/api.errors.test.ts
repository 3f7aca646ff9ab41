import { describe, expect } from 'vitest';
import { availableServer, callApi, FAST } from '../test/sim-api';
import { it as simIt } from '../test/sim-fixture';
import type { SimHandle } from './start';

const KEY = 'key-errors';
const OTHER = 'key-errors-other';
const it = simIt.extend('simOptions', { ...FAST, seed: 11, keys: [{ key: KEY }, { key: OTHER }] });

function body(serverId: number, extra: Record<string, unknown> = {}) {
  return {
    renting_server: serverId,
    type: 'on-demand',
    currency: 'CLORE-Blockchain',
    image: 'ubuntu',
    ...extra,
  };
}

function find(
  handle: SimHandle,
  predicate: (s: ReturnType<SimHandle['sim']['servers']['get']> & {}) => boolean,
): number {
  const server = [...handle.sim.servers.values()].find(predicate);
  if (!server) {
    throw new Error('no such server in the generated marketplace');
  }
  return server.id;
}

describe('API codes 2, 3 and 4', () => {
  it('a missing or unknown key gets code 3 with HTTP 401, on any endpoint', async ({ startSim }) => {
    const handle = await startSim();
    expect(await callApi(handle, undefined, 'marketplace')).toEqual({ status: 401, body: { code: 3 } });
    expect(await callApi(handle, 'nope', 'wallets')).toEqual({ status: 401, body: { code: 3 } });
    expect(await callApi(handle, 'nope', 'no_such_endpoint')).toEqual({ status: 401, body: { code: 3 } });
  });

  it('an unknown endpoint gets code 4 with HTTP 404', async ({ startSim }) => {
    const handle = await startSim();
    expect(await callApi(handle, KEY, 'no_such_endpoint')).toEqual({ status: 404, body: { code: 4 } });
  });

  it('invalid input gets code 2 with HTTP 400', async ({ startSim }) => {
    const handle = await startSim();
    const id = availableServer(handle);
    const invalid: Array<[string, { body?: unknown; rawBody?: string; query?: Record<string, string> }]> = [
      ['create_order', { rawBody: '{not json' }],
      ['create_order', { body: {} }],
      ['create_order', { body: body(id, { type: 'on_demand' }) }],
      ['create_order', { body: body(id, { currency: 'dogecoin' }) }],
      ['create_order', { body: body(id, { renting_server: String(id) }) }],
      ['create_order', { body: body(id, { type: 'spot' }) }],
      ['create_order', { body: body(id, { ssh_password: 'x'.repeat(33) }) }],
      ['create_order', { body: body(id, { jupyter_token: 'x'.repeat(33) }) }],
      ['create_order', { body: body(id, { ssh_key: 'x'.repeat(3073) }) }],
      ['create_order', { body: body(id, { env: { 'BAD-NAME': 'x' } }) }],
      ['create_order', { body: body(id, { env: { OK: 'two\nlines' } }) }],
      ['create_order', { body: body(id, { ports: { '22': 'udp' } }) }],
      ['cancel_order', { body: { id: 'abc' } }],
      ['cancel_orders', { body: { order_ids: Array.from({ length: 65 }, (_, i) => i + 1) } }],
      ['cancel_orders', { body: { order_ids: 5 } }],
      ['set_spot_price', { body: { order_id: 1 } }],
      ['spot_marketplace', {}],
      ['spot_marketplace', { query: { market: 'x' } }],
    ];
    for (const [endpoint, options] of invalid) {
      expect({ endpoint, ...(await callApi(handle, KEY, endpoint, options)) }).toEqual({
        endpoint,
        status: 400,
        body: { code: 2 },
      });
    }
    expect(handle.orders()).toEqual([]);
  });
});

describe('code 6 error strings', () => {
  it('create_order: every documented refusal', async ({ startSim }) => {
    const handle = await startSim();
    const gigaspot = find(handle, (s) => s.gigaspot);
    const offline = find(handle, (s) => !s.online && !s.gigaspot);
    const rented = find(handle, (s) => s.rentedExternally && s.online && !s.gigaspot);
    const noUsd = find(
      handle,
      (s) => s.online && !s.gigaspot && !s.rentedExternally && !s.allowedCoins.includes('USD-Blockchain'),
    );
    const free = availableServer(handle);
    const own = availableServer(handle, 'CLORE-Blockchain', [free, noUsd]);
    handle.sim.options.keys[0]!.ownServers.push(own);
    const spotServer = availableServer(handle, 'CLORE-Blockchain', [free, own, noUsd]);
    const minSpot = handle.sim.servers.get(spotServer)!.spotMin['CLORE-Blockchain']!;

    const expectError = async (key: string, b: Record<string, unknown>, error: string) => {
      expect({ error, ...(await callApi(handle, key, 'create_order', { body: b })) }).toEqual({
        error,
        status: 200,
        body: { code: 6, error },
      });
    };
    await expectError(KEY, body(1), 'server-dont-exist');
    await expectError(KEY, body(gigaspot), 'machine-is-on-gigaspot');
    await expectError(KEY, body(offline), 'server-offline');
    await expectError(KEY, body(rented), 'server-already-rented');
    await expectError(KEY, body(own), 'cant_rent_from_yourself');
    await expectError(KEY, body(noUsd, { currency: 'USD-Blockchain' }), 'currency-not-allowed');
    await expectError(KEY, body(spotServer, { type: 'spot', spotprice: minSpot / 2 }), 'too_low_price');

    expect(
      (
        await callApi(handle, KEY, 'create_order', {
          body: body(spotServer, { type: 'spot', spotprice: minSpot }),
        })
      ).body,
    ).toEqual({ code: 0 });
    await expectError(
      KEY,
      body(spotServer, { type: 'spot', spotprice: minSpot * 2 }),
      'you_already_have_spot_order',
    );
    await expectError(OTHER, body(spotServer, { type: 'spot', spotprice: minSpot }), 'too_low_price');
    await expectError(OTHER, body(spotServer), 'server-already-rented');

    handle.setBalance(KEY, 'CLORE-Blockchain', 0.000001);
    await expectError(KEY, body(free), 'not_enough_balance');
    expect(handle.orders()).toHaveLength(1);
  });

  it('concurrent creates of two keys on one server: exactly one wins', async ({ startSim }) => {
    const handle = await startSim();
    const serverId = availableServer(handle);
    const results = await Promise.all(
      [KEY, OTHER, KEY, OTHER].map((key) => callApi(handle, key, 'create_order', { body: body(serverId) })),
    );
    expect(results.filter((r) => r.body.code === 0)).toHaveLength(1);
    expect(results.filter((r) => r.body.error === 'server-already-rented')).toHaveLength(3);
    expect(handle.orders()).toHaveLength(1);
  });

  it('a higher spot bid from another key outbids the running spot order', async ({ startSim }) => {
    const handle = await startSim();
    const serverId = availableServer(handle);
    const minSpot = handle.sim.servers.get(serverId)!.spotMin['CLORE-Blockchain']!;
    await callApi(handle, KEY, 'create_order', {
      body: body(serverId, { type: 'spot', spotprice: minSpot }),
    });
    const res = await callApi(handle, OTHER, 'create_order', {
      body: body(serverId, { type: 'spot', spotprice: minSpot + 1 }),
    });
    expect(res.body).toEqual({ code: 0 });
    expect(handle.orders().map((o) => [o.active, o.endReason])).toEqual([
      [false, 'outbid'],
      [true, undefined],
    ]);
  });

  it('cancel_order: you_dont_own_this_order, order_not_active, issue_description_too_long', async ({
    startSim,
  }) => {
    const handle = await startSim();
    await callApi(handle, KEY, 'create_order', { body: body(availableServer(handle)) });
    const id = handle.orders()[0]!.id;
    expect((await callApi(handle, OTHER, 'cancel_order', { body: { id } })).body).toEqual({
      code: 6,
      error: 'you_dont_own_this_order',
    });
    expect((await callApi(handle, KEY, 'cancel_order', { body: { id: 42 } })).body).toEqual({
      code: 6,
      error: 'you_dont_own_this_order',
    });
    expect(
      (await callApi(handle, KEY, 'cancel_order', { body: { id, issue: 'x'.repeat(2049) } })).body,
    ).toEqual({
      code: 6,
      error: 'issue_description_too_long',
    });
    expect(
      (await callApi(handle, KEY, 'cancel_order', { body: { id, issue: 'GPU #1 is slow' } })).body,
    ).toEqual({ code: 0 });
    expect((await callApi(handle, KEY, 'cancel_order', { body: { id } })).body).toEqual({
      code: 6,
      error: 'order_not_active',
    });
  });

  it('set_spot_price: order_dont_exist, amount_too_low, can_lower_every_600_seconds, exceeded_max_step', async ({
    startSim,
  }) => {
    const handle = await startSim({ limits: { generalMs: 0, createMs: 0, spotLowerMs: 60_000 } });
    const serverId = availableServer(handle);
    const minSpot = handle.sim.servers.get(serverId)!.spotMin['CLORE-Blockchain']!;
    const bid = minSpot + 10;
    await callApi(handle, KEY, 'create_order', { body: body(serverId, { type: 'spot', spotprice: bid }) });
    await callApi(handle, KEY, 'create_order', {
      body: body(availableServer(handle, 'CLORE-Blockchain', [serverId])),
    });
    const [spot, onDemand] = handle.orders();
    const set = (key: string, order_id: number, desired_price: number) =>
      callApi(handle, key, 'set_spot_price', { body: { order_id, desired_price } }).then((r) => r.body);

    expect(await set(KEY, 1, bid)).toEqual({ code: 6, error: 'order_dont_exist' });
    expect(await set(OTHER, spot!.id, bid)).toEqual({ code: 6, error: 'order_dont_exist' });
    expect(await set(KEY, onDemand!.id, bid)).toEqual({ code: 6, error: 'order_dont_exist' });
    expect(await set(KEY, spot!.id, minSpot / 2)).toEqual({ code: 6, error: 'amount_too_low' });
    expect(await set(KEY, spot!.id, bid - 4)).toEqual({ code: 6, error: 'exceeded_max_step', max_step: 3 });
    expect(await set(KEY, spot!.id, bid - 2)).toEqual({ code: 0 });
    const tooSoon = await set(KEY, spot!.id, bid - 3);
    expect(tooSoon).toMatchObject({ code: 6, error: 'can_lower_every_600_seconds' });
    expect(tooSoon.time_to_lowering).toBeGreaterThan(55);
    expect(tooSoon.time_to_lowering).toBeLessThanOrEqual(60);
    expect(await set(KEY, spot!.id, bid + 1)).toEqual({ code: 0 });
    await callApi(handle, KEY, 'cancel_order', { body: { id: spot!.id } });
    expect(await set(KEY, spot!.id, bid + 2)).toEqual({ code: 6, error: 'order_dont_exist' });
  });
});

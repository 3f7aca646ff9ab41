import { waitFor } from '@clore-batch/testing';
import { describe, expect } from 'vitest';
import { availableServer, callApi, FAST, simGet, simSend } from '../test/sim-api';
import { it as simIt } from '../test/sim-fixture';
import type { SimHandle } from './start';

const KEY = 'key-faults';
const it = simIt.extend('simOptions', { ...FAST, seed: 21, keys: [{ key: KEY }] });

async function raw(handle: SimHandle, endpoint: string, body?: unknown, timeoutMs = 2_000) {
  const response = await fetch(`${handle.url}/v1/${endpoint}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { auth: KEY, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: response.status, text: await response.text() };
}

const createBody = (handle: SimHandle) => ({
  renting_server: availableServer(handle),
  type: 'on-demand',
  currency: 'CLORE-Blockchain',
  image: 'x',
});

describe('endpoint faults', () => {
  it('http500, http502 and nonJson answer without performing the call', async ({ startSim }) => {
    for (const [kind, status, pattern] of [
      ['http500', 500, /Internal Server Error/],
      ['http502', 502, /502 Bad Gateway/],
      ['nonJson', 200, /<html>/],
    ] as const) {
      const handle = await startSim({ faults: { endpoints: { create_order: { [kind]: 1 } } } });
      const res = await raw(handle, 'create_order', createBody(handle));
      expect(res.status).toBe(status);
      expect(res.text).toMatch(pattern);
      expect(() => JSON.parse(res.text)).toThrow();
      expect(handle.orders()).toEqual([]);
      // Other endpoints are unaffected.
      expect((await callApi(handle, KEY, 'wallets')).status).toBe(200);
      const calls = (
        await simGet<{ calls: Array<{ fault?: string; httpStatus: number }> }>(handle, '/_sim/calls')
      ).calls;
      expect(calls[0]).toMatchObject({ fault: kind, httpStatus: status });
    }
  });

  it("'*' applies to every endpoint; a named endpoint overrides it", async ({ startSim }) => {
    const handle = await startSim({
      faults: { endpoints: { '*': { http502: 1 }, wallets: { http502: 0 } } },
    });
    expect((await raw(handle, 'marketplace')).status).toBe(502);
    expect((await raw(handle, 'wallets')).status).toBe(200);
  });

  it('reset destroys the connection', async ({ startSim }) => {
    const handle = await startSim({ faults: { endpoints: { my_orders: { reset: 1 } } } });
    await expect(raw(handle, 'my_orders')).rejects.toThrow();
  });

  it('hang never answers, and close() still finishes promptly', async ({ startSim }) => {
    const handle = await startSim({ faults: { endpoints: { marketplace: { hang: 1 } } } });
    await expect(raw(handle, 'marketplace', undefined, 300)).rejects.toThrow(/timeout|abort/i);
    const pending = raw(handle, 'marketplace', undefined, 20_000).catch((error: Error) => error);
    await waitFor(() => handle.sim.calls.list().length === 2, { message: 'second call arrived' });
    const started = Date.now();
    await handle.close();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(await pending).toBeInstanceOf(Error);
  });

  it('code1 on create_order answers {"code":1} and creates nothing', async ({ startSim }) => {
    const handle = await startSim({ faults: { endpoints: { create_order: { code1: 1 } } } });
    expect(await callApi(handle, KEY, 'create_order', { body: createBody(handle) })).toEqual({
      status: 500,
      body: { code: 1 },
    });
    expect(handle.orders()).toEqual([]);
  });

  it('lostResponse: the order is created but the answer is lost (reset, or hang)', async ({ startSim }) => {
    for (const mode of ['reset', 'hang'] as const) {
      const handle = await startSim({
        faults: {
          endpoints: { create_order: { lostResponse: 1 } },
          lostResponseMode: mode,
        },
      });
      const body = createBody(handle);
      await expect(raw(handle, 'create_order', body, 500)).rejects.toThrow();
      const orders = (await callApi(handle, KEY, 'my_orders')).body.orders as Array<{ si: number }>;
      expect(orders.map((o) => o.si)).toEqual([body.renting_server]);
      const calls = handle.sim.calls.list();
      expect(calls[0]).toMatchObject({ endpoint: 'create_order', fault: 'lostResponse', httpStatus: 0 });
    }
  });

  it('fault rolls are reproducible for a seed', async ({ startSim }) => {
    const pattern = async () => {
      const handle = await startSim({ faults: { endpoints: { wallets: { http500: 0.5 } } } });
      const statuses: number[] = [];
      for (let i = 0; i < 16; i += 1) {
        statuses.push((await raw(handle, 'wallets')).status);
      }
      return statuses;
    };
    const first = await pattern();
    expect(first).toContain(500);
    expect(first).toContain(200);
    expect(await pattern()).toEqual(first);
  });

  it('latencyMs delays every answer', async ({ startSim }) => {
    const handle = await startSim({ faults: { latencyMs: [150, 200] } });
    const started = performance.now();
    expect((await raw(handle, 'wallets')).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(150);
    expect(handle.sim.calls.list()[0]!.durationMs).toBeGreaterThanOrEqual(149);
  });

  it('PUT /_sim/faults replaces the settings at runtime and rejects bad ones', async ({ startSim }) => {
    const handle = await startSim();
    expect((await raw(handle, 'wallets')).status).toBe(200);
    expect(
      (await simSend(handle, 'PUT', '/_sim/faults', { endpoints: { wallets: { http502: 1 } } })).status,
    ).toBe(200);
    expect((await raw(handle, 'wallets')).status).toBe(502);
    expect(
      (await simSend(handle, 'PUT', '/_sim/faults', { endpoints: { wallets: { teapot: 1 } } })).status,
    ).toBe(400);
    expect((await simSend(handle, 'PUT', '/_sim/faults', {})).status).toBe(200);
    expect((await raw(handle, 'wallets')).status).toBe(200);
  });
});

describe('order faults', () => {
  it('neverUp and neverUpServers: the order is provisioned but never comes up and never answers SSH', async ({
    startSim,
  }) => {
    const handle = await startSim({ faults: { neverUp: 1 } });
    await callApi(handle, KEY, 'create_order', { body: createBody(handle) });
    await waitFor(() => handle.orders()[0]!.provisionedAt !== undefined, { message: 'provisioned' });
    expect(handle.orders()[0]).toMatchObject({ neverUp: true, monContainer: 0, sshdRunning: false });

    const targeted = await startSim();
    const doomed = availableServer(targeted);
    targeted.setFaults({ neverUpServers: [doomed] });
    await callApi(targeted, KEY, 'create_order', {
      body: { ...createBody(targeted), renting_server: doomed },
    });
    await callApi(targeted, KEY, 'create_order', { body: createBody(targeted) });
    await waitFor(() => targeted.orders()[1]!.monContainer === 1, { message: 'the other order comes up' });
    expect(targeted.orders().map((o) => o.neverUp)).toEqual([true, false]);
    expect(targeted.orders()[0]!.monContainer).toBe(0);
  });

  it('a running spot order is outbid by rate, or on demand through /_sim/orders/:id/outbid', async ({
    startSim,
  }) => {
    const handle = await startSim({ faults: { spotOutbidPerHour: 50 }, clockSpeed: 3600, tickMs: 20 });
    const spot = (h: SimHandle, exclude: number[] = []) => {
      const id = availableServer(h, 'CLORE-Blockchain', exclude);
      const min = h.sim.servers.get(id)!.spotMin['CLORE-Blockchain']!;
      return { renting_server: id, type: 'spot', currency: 'CLORE-Blockchain', image: 'x', spotprice: min };
    };
    await callApi(handle, KEY, 'create_order', { body: spot(handle) });
    const outbid = await waitFor(() => handle.orders().find((o) => !o.active), { message: 'outbid by rate' });
    expect(outbid.endReason).toBe('outbid');

    const manual = await startSim();
    const body = spot(manual);
    await callApi(manual, KEY, 'create_order', { body });
    await callApi(manual, KEY, 'create_order', {
      body: {
        ...createBody(manual),
        renting_server: availableServer(manual, 'CLORE-Blockchain', [body.renting_server]),
      },
    });
    const [spotOrder] = manual.orders();
    expect((await simSend(manual, 'POST', `/_sim/orders/${spotOrder!.id}/outbid`)).status).toBe(200);
    expect(manual.orders().map((o) => o.endReason)).toEqual(['outbid', undefined]);
    expect((await simSend(manual, 'POST', `/_sim/orders/${spotOrder!.id}/outbid`)).status).toBe(404);
    const completed = (await callApi(manual, KEY, 'my_orders', { query: { return_completed: 'true' } })).body
      .orders as Array<{
      id: number;
      expired: boolean;
    }>;
    expect(completed.find((o) => o.id === spotOrder!.id)?.expired).toBe(true);
  });
});

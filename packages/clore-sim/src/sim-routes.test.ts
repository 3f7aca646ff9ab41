import { waitFor } from '@clore-batch/testing';
import { describe, expect } from 'vitest';
import { availableServer, callApi, simGet, simSend } from '../test/sim-api';
import { it as simIt } from '../test/sim-fixture';
import type { CallRecord } from './call-log';
import { keyHash } from './key-hash';
import type { OrderSummary } from './orders/order-summary';

const KEY = 'key-routes';
const it = simIt.extend('simOptions', {
  seed: 13,
  keys: [{ key: KEY }],
  limits: { generalMs: 0, createMs: 0 },
  provisioningMs: [30, 60],
});

describe('/_sim control routes', () => {
  it('/_sim/calls logs every /v1 call, including 429s, auth failures and unknown endpoints', async ({
    startSim,
  }) => {
    const handle = await startSim({ limits: { generalMs: 60_000, createMs: 60_000 } });
    await callApi(handle, KEY, 'wallets');
    await callApi(handle, KEY, 'wallets');
    await callApi(handle, undefined, 'marketplace');
    await callApi(handle, 'wrong', 'my_orders');
    const { calls } = await simGet<{ calls: CallRecord[] }>(handle, '/_sim/calls');
    expect(calls.map((c) => [c.keyHash, c.endpoint, c.code, c.httpStatus])).toEqual([
      [keyHash(KEY), 'wallets', 0, 200],
      [keyHash(KEY), 'wallets', 5, 429],
      [null, 'marketplace', 3, 401],
      [keyHash('wrong'), 'my_orders', 3, 401],
    ]);
    expect(keyHash(KEY)).toMatch(/^[0-9a-f]{16}$/);
    expect(calls[1]!.at).toBeGreaterThanOrEqual(calls[0]!.at);
    expect(calls[0]!.at).toBeGreaterThan(Date.now() - 10_000);
    expect(JSON.stringify(calls)).not.toContain(KEY);
    const filtered = await simGet<{ calls: CallRecord[] }>(
      handle,
      `/_sim/calls?keyHash=${keyHash(KEY)}&endpoint=wallets&since=${calls[0]!.at}`,
    );
    expect(filtered.calls).toEqual([calls[1]]);
  });

  it('/_sim/orders lists every order with its key hash, times, spend, end and sshd state', async ({
    startSim,
  }) => {
    const handle = await startSim();
    const serverId = availableServer(handle);
    await callApi(handle, KEY, 'create_order', {
      body: {
        renting_server: serverId,
        type: 'on-demand',
        currency: 'CLORE-Blockchain',
        image: 'img:1',
        command: 'true',
        ssh_password: 'pw-secret',
      },
    });
    const { orders } = await simGet<{ orders: OrderSummary[] }>(handle, '/_sim/orders');
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({
      keyHash: keyHash(KEY),
      serverId,
      type: 'on-demand',
      currency: 'CLORE-Blockchain',
      active: true,
      image: 'img:1',
      command: 'true',
      hasSshPassword: true,
    });
    expect(orders[0]).not.toHaveProperty('endReason');
    expect(orders[0]).not.toHaveProperty('endedAt');
    expect(JSON.stringify(orders)).not.toContain('pw-secret');
  });

  it('balance, clock, rent and marketplace routes', async ({ startSim }) => {
    const handle = await startSim();
    expect(
      (await simSend(handle, 'POST', '/_sim/balance', { key: KEY, currency: 'bitcoin', amount: 0.5 })).status,
    ).toBe(200);
    expect(handle.sim.balancesOf(KEY).bitcoin).toBe(0.5);
    expect(
      (await simSend(handle, 'POST', '/_sim/balance', { key: 'nobody', currency: 'bitcoin', amount: 1 }))
        .status,
    ).toBe(400);
    expect(
      (await simSend(handle, 'POST', '/_sim/balance', { key: KEY, currency: 'doge', amount: 1 })).status,
    ).toBe(400);

    const clock = await simSend<{ speed: number }>(handle, 'POST', '/_sim/clock', { speed: 60 });
    expect(clock.body.speed).toBe(60);
    expect(handle.sim.clock.speed).toBe(60);
    expect((await simSend(handle, 'POST', '/_sim/clock', { speed: -1 })).status).toBe(400);

    const serverId = availableServer(handle);
    expect((await simSend(handle, 'POST', `/_sim/servers/${serverId}/rent`)).body).toEqual({
      ok: true,
      rented: true,
    });
    const market = await callApi(handle, KEY, 'marketplace');
    expect(
      (market.body.servers as Array<{ id: number; rented: boolean }>).find((s) => s.id === serverId)?.rented,
    ).toBe(true);
    expect(
      (
        await callApi(handle, KEY, 'create_order', {
          body: { renting_server: serverId, type: 'on-demand', currency: 'CLORE-Blockchain', image: 'x' },
        })
      ).body,
    ).toEqual({ code: 6, error: 'server-already-rented' });
    await simSend(handle, 'POST', `/_sim/servers/${serverId}/rent`, { rented: false });
    const internal = await simGet<{
      servers: Array<{ id: number; online: boolean; rentedExternally: boolean }>;
    }>(handle, '/_sim/marketplace');
    expect(internal.servers).toHaveLength(60);
    expect(internal.servers.find((s) => s.id === serverId)).toMatchObject({
      online: true,
      rentedExternally: false,
    });
    expect((await simSend(handle, 'POST', '/_sim/servers/1/rent')).status).toBe(404);
  });

  it('/_sim/orders shows the deploy stage, autossh, key window and host key; key-refusal refuses the key again', async ({
    startSim,
  }) => {
    const handle = await startSim({ orderHost: { keyRefusalAfterDeployedMs: [0, 0] } });
    await callApi(handle, KEY, 'create_order', {
      body: {
        renting_server: availableServer(handle),
        type: 'on-demand',
        currency: 'CLORE-Blockchain',
        image: 'img:1',
        autossh_entrypoint: true,
        ssh_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl x',
      },
    });
    const id = handle.orders()[0]!.id;
    await waitFor(() => handle.orders()[0]!.sshReady, { message: 'order usable' });
    const { orders } = await simGet<{ orders: OrderSummary[] }>(handle, '/_sim/orders');
    expect(orders[0]).toMatchObject({
      stage: 'deployed',
      monContainer: 2,
      autossh: true,
      sshAvailable: true,
      keyAccepted: true,
      sshReady: true,
      hostKeyFingerprint: expect.stringMatching(/^SHA256:/),
      isolation: expect.stringMatching(/^(namespace|home-only)$/),
    });
    expect(orders[0]!.keyAcceptedFrom).toBe(orders[0]!.readyAt);
    const refused = await simSend<{ ok: boolean; keyAcceptedFrom: number }>(
      handle,
      'POST',
      `/_sim/orders/${id}/key-refusal`,
      { ms: 60_000 },
    );
    expect(refused.body.ok).toBe(true);
    expect(refused.body.keyAcceptedFrom).toBeGreaterThan(Date.now() + 50_000);
    expect(handle.orders()[0]).toMatchObject({ keyAccepted: false, sshReady: false });
    await simSend(handle, 'POST', `/_sim/orders/${id}/key-refusal`, { ms: 0 });
    expect(handle.orders()[0]).toMatchObject({ keyAccepted: true, sshReady: true });
    expect((await simSend(handle, 'POST', `/_sim/orders/${id}/key-refusal`, {})).status).toBe(400);
    expect((await simSend(handle, 'POST', '/_sim/orders/1/key-refusal', { ms: 0 })).status).toBe(404);
  });

  it('/_sim/servers/:id/online takes a server offline: its orders show online false, new orders are refused', async ({
    startSim,
  }) => {
    const handle = await startSim();
    const serverId = availableServer(handle);
    const create = () =>
      callApi(handle, KEY, 'create_order', {
        body: { renting_server: serverId, type: 'on-demand', currency: 'CLORE-Blockchain', image: 'x' },
      });
    expect((await create()).body).toEqual({ code: 0 });
    expect(
      (await simSend(handle, 'POST', `/_sim/servers/${serverId}/online`, { online: false })).body,
    ).toEqual({
      ok: true,
      online: false,
    });
    const mine = (await callApi(handle, KEY, 'my_orders')).body.orders as Array<{
      online: boolean;
      expired: boolean;
    }>;
    expect(mine[0]).toMatchObject({ online: false, expired: false });
    expect((await create()).body).toEqual({ code: 6, error: 'server-offline' });
    expect((await simSend(handle, 'POST', `/_sim/servers/${serverId}/online`, {})).status).toBe(400);
    expect((await simSend(handle, 'POST', '/_sim/servers/1/online', { online: true })).status).toBe(404);
  });

  it('/_sim/state and GET /_sim/faults report the current settings', async ({ startSim }) => {
    const handle = await startSim();
    handle.setFaults({ neverUp: 0.25 });
    expect(await simGet(handle, '/_sim/faults')).toEqual({ neverUp: 0.25 });
    const state = await simGet<Record<string, unknown>>(handle, '/_sim/state');
    expect(state).toMatchObject({
      shape: 'real',
      limits: { generalMs: 0, createMs: 0, spotLowerMs: 600_000 },
      faults: { neverUp: 0.25 },
      keys: [
        {
          keyHash: keyHash(KEY),
          balances: { 'CLORE-Blockchain': 50_000, bitcoin: 0.02, 'USD-Blockchain': 1_000 },
        },
      ],
      activeOrders: 0,
    });
    expect(JSON.stringify(state)).not.toContain(KEY);
  });

  it('/_sim/reset ends every order, clears the logs and restores balances and the marketplace', async ({
    startSim,
  }) => {
    const handle = await startSim({ limits: { generalMs: 60_000, createMs: 60_000 } });
    const before = await simGet<unknown>(handle, '/_sim/marketplace');
    await callApi(handle, KEY, 'create_order', {
      body: {
        renting_server: availableServer(handle),
        type: 'on-demand',
        currency: 'CLORE-Blockchain',
        image: 'x',
      },
    });
    handle.setBalance(KEY, 'USD-Blockchain', 3);
    const order = handle.orders()[0]!;
    expect((await simSend(handle, 'POST', '/_sim/reset')).status).toBe(200);
    expect(handle.orders()).toEqual([]);
    expect(handle.sim.calls.list()).toEqual([]);
    expect(handle.sim.balancesOf(KEY)['USD-Blockchain']).toBe(1_000);
    expect(await simGet<unknown>(handle, '/_sim/marketplace')).toEqual(before);
    const { canConnect } = await import('@clore-batch/testing');
    expect(await canConnect(order.sshPort)).toBe(false);
    // The rate limiter was reset too: a call right away is allowed.
    expect((await callApi(handle, KEY, 'wallets')).status).toBe(200);
  });
});

import { waitFor } from '@clore-batch/testing';
import { describe, expect } from 'vitest';
import { availableServer, callApi, simSend } from '../test/sim-api';
import { it as simIt } from '../test/sim-fixture';
import type { SimHandle } from './start';

const KEY = 'key-billing';
const DAY_MS = 86_400_000;
const it = simIt.extend('simOptions', {
  seed: 5,
  keys: [{ key: KEY, balances: { 'CLORE-Blockchain': 100_000 } }],
  limits: { generalMs: 0, createMs: 0 },
  provisioningMs: [10_000, 10_000],
  tickMs: 50,
});

async function order(handle: SimHandle, serverId: number) {
  const res = await callApi(handle, KEY, 'create_order', {
    body: { renting_server: serverId, type: 'on-demand', currency: 'CLORE-Blockchain', image: 'x' },
  });
  expect(res.body).toEqual({ code: 0 });
  return handle.orders().at(-1)!;
}

async function balance(handle: SimHandle): Promise<number> {
  const res = await callApi(handle, KEY, 'wallets');
  const wallets = res.body.wallets as Array<{ name: string; balance: number }>;
  return wallets.find((w) => w.name === 'CLORE-Blockchain')!.balance;
}

describe('billing', () => {
  it('spend grows as price per day × elapsed sim days, and the balance pays it plus the creation fee', async ({
    startSim,
  }) => {
    const handle = await startSim({ clockSpeed: DAY_MS / 1000 }); // one sim day per real second
    const serverId = availableServer(handle);
    const listPrice = handle.sim.servers.get(serverId)!.onDemand['CLORE-Blockchain']!;
    const created = await order(handle, serverId);
    expect(created.price).toBe(listPrice);
    await waitFor(() => handle.orders()[0]!.spend > listPrice * 0.5, { message: 'half a day billed' });
    // Assert against the simulator's own clock and billed-until figures, never the wall clock: under
    // load any real-time gap between two reads is billed at a sim day per real second.
    const internal = handle.sim.orders.get(created.id)!;
    const spendBefore = internal.spend;
    const mine = ((await callApi(handle, KEY, 'my_orders')).body.orders as Array<{ spend: number }>)[0]!;
    const spendAfter = internal.spend;
    // The answer was billed up to the sim time of the call: between the figures before and after it.
    expect(mine.spend).toBeGreaterThanOrEqual(Number(spendBefore.toFixed(10)));
    expect(mine.spend).toBeLessThanOrEqual(Number(spendAfter.toFixed(10)));
    // spend = price per day x sim days billed (excluding the creation fee), read in one synchronous turn.
    handle.sim.tick();
    const billedDays = (internal.billedUntilSim - internal.createdAtSim) / DAY_MS;
    expect(billedDays).toBeGreaterThan(0.5);
    expect(internal.spend).toBeCloseTo(listPrice * billedDays, 6);
    expect(handle.sim.balancesOf(KEY)['CLORE-Blockchain']).toBeCloseTo(
      100_000 - created.creationFee - internal.spend,
      6,
    );
    // Over HTTP the balance was read later than the spend before it, so it can only be lower.
    const spendBeforeWallets = internal.spend;
    const wallet = await balance(handle);
    expect(wallet).toBeLessThanOrEqual(100_000 - created.creationFee - spendBeforeWallets + 1e-6);
    expect(wallet).toBeGreaterThanOrEqual(100_000 - created.creationFee - internal.spend - 1e-6);
  });

  it('an order whose balance runs out ends with reason balance; the balance stops at 0', async ({
    startSim,
  }) => {
    const handle = await startSim({ clockSpeed: DAY_MS / 1000 });
    const serverId = availableServer(handle);
    const listPrice = handle.sim.servers.get(serverId)!.onDemand['CLORE-Blockchain']!;
    handle.setBalance(KEY, 'CLORE-Blockchain', listPrice * 0.2);
    const created = await order(handle, serverId);
    const ended = await waitFor(() => handle.orders().find((o) => !o.active), { message: 'order ends' });
    expect(ended.endReason).toBe('balance');
    expect(ended.spend).toBeCloseTo(listPrice * 0.2 - created.creationFee, 6);
    expect(await balance(handle)).toBe(0);
    expect(handle.sim.isRented(handle.sim.servers.get(serverId)!)).toBe(false);
  });

  it('an order ends at its mrl, billed for exactly mrl hours', async ({ startSim }) => {
    const handle = await startSim({ clockSpeed: 1 });
    const serverId = availableServer(handle);
    const server = handle.sim.servers.get(serverId)!;
    const created = await order(handle, serverId);
    const advanced = await simSend(handle, 'POST', '/_sim/clock', {
      advanceMs: (server.mrl + 1) * 3_600_000,
    });
    expect(advanced.status).toBe(200);
    const ended = handle.orders()[0]!;
    expect(ended.endReason).toBe('mrl');
    expect(ended.endedAtSim).toBe(created.createdAtSim + server.mrl * 3_600_000);
    expect(ended.spend).toBeCloseTo((created.price * server.mrl) / 24, 6);
  });

  it('a raised spot bid is billed at the new price from then on', async ({ startSim }) => {
    const handle = await startSim({ clockSpeed: 1 });
    const serverId = availableServer(handle);
    const min = handle.sim.servers.get(serverId)!.spotMin['CLORE-Blockchain']!;
    await callApi(handle, KEY, 'create_order', {
      body: {
        renting_server: serverId,
        type: 'spot',
        spotprice: min,
        currency: 'CLORE-Blockchain',
        image: 'x',
      },
    });
    const id = handle.orders()[0]!.id;
    await simSend(handle, 'POST', '/_sim/clock', { advanceMs: DAY_MS / 2 });
    await callApi(handle, KEY, 'set_spot_price', { body: { order_id: id, desired_price: min * 2 } });
    await simSend(handle, 'POST', '/_sim/clock', { advanceMs: DAY_MS / 2 });
    const spend = handle.orders()[0]!.spend;
    expect(spend).toBeGreaterThan(min * 1.5 - 0.01);
    expect(spend).toBeLessThan(min * 1.5 * 1.001 + 0.01);
  });
});

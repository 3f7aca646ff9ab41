import { fleetKeys } from '@clore-batch/shared';
import { type RedisHandle, startRedis, waitFor } from '@clore-batch/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Kit, SIM_KEY, startKit } from './support/e2e-kit';
import { type MyOrdersProxy, startMyOrdersProxy } from './support/my-orders-proxy';

/**
 * Issue 13, end to end (simulator over HTTP, real Redis, real sshd): an order ends only on evidence,
 * and finding an order needs no clock to agree with the provider's (clore-api.md Part A 7, 18).
 */
let redis: RedisHandle;
let kit: Kit | undefined;
let proxy: MyOrdersProxy | undefined;

beforeAll(async () => {
  redis = await startRedis({ private: true });
});
afterAll(async () => {
  await redis.stop();
});
afterEach(async () => {
  await kit?.close();
  kit = undefined;
  await proxy?.close();
  proxy = undefined;
});

async function foreignOrders(k: Kit): Promise<string[]> {
  return Object.keys(await k.redis.hgetall(fleetKeys(k.prefix).foreignOrders));
}

describe('money safety, end to end', () => {
  for (const offsetMin of [-5, 5]) {
    it(`a provider clock ${Math.abs(offsetMin)} min ${offsetMin < 0 ? 'behind' : 'ahead'}: the job finds its order and succeeds; one order, nothing foreign`, async () => {
      kit = await startKit(redis.url, { noWorker: true });
      // The provider's clock (its `ct`) is off by minutes (clore-sim's provider clock offset).
      kit.sim.sim.clock.setOffset(offsetMin * 60_000);
      await kit.startWorker();
      const job = await kit.submit({ command: 'echo clocks' });
      const done = await kit.waitDone(job.id);
      expect(done.state).toBe('succeeded');
      expect(done.attempts).toHaveLength(1);
      await kit.noActiveOrders();
      expect(await kit.orders()).toHaveLength(1);
      expect(await foreignOrders(kit)).toEqual([]);
      expect(await kit.redis.hlen(fleetKeys(kit.prefix).intents)).toBe(0);
    });
  }

  it('empty my_orders answers while the command runs: the attempt carries on, one order, released at the end', async () => {
    proxy = await startMyOrdersProxy();
    kit = await startKit(redis.url, { noWorker: true, env: { CLORE_API_URL: proxy.url } });
    proxy.target = kit.sim.url;
    await kit.startWorker();
    const job = await kit.submit({ command: 'sleep 4; echo survived' });
    await kit.waitFor(job.id, ['running']);
    const p = proxy;
    p.emptyNext(4);
    await waitFor(() => p.emptied() >= 4, { timeoutMs: 15_000, message: 'four empty answers' });
    const done = await kit.waitDone(job.id);
    expect(done.state).toBe('succeeded');
    expect(done.attempts).toHaveLength(1);
    await kit.noActiveOrders();
    // One order for the job: no second server was rented, nothing left billing, nothing foreign.
    expect(await kit.orders()).toHaveLength(1);
    expect(await foreignOrders(kit)).toEqual([]);
  });

  it("another tool's malformed order on the key: the job runs and succeeds, that order is never touched", async () => {
    kit = await startKit(redis.url);
    const added = await fetch(`${kit.sim.url}/_sim/keys/${SIM_KEY}/foreign-orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ nullFields: ['currency', 'price'], fields: { spend: null, http_pub: null } }),
    });
    expect(added.ok).toBe(true);
    const job = await kit.submit({ command: 'echo past a bad order' });
    const done = await kit.waitDone(job.id);
    expect(done.state).toBe('succeeded');
    await kit.noActiveOrders();
    const foreign = (await (await fetch(`${kit.sim.url}/_sim/foreign-orders`)).json()) as {
      orders: { cancelled: boolean }[];
    };
    expect(foreign.orders.map((o) => o.cancelled)).toEqual([false]);
  });
});

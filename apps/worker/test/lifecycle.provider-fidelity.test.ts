import { type RedisHandle, startRedis } from '@clore-batch/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Kit, SIM_KEY, startKit } from './support/e2e-kit';

/**
 * Issue 14, end to end: every behaviour live Clore integrations saw (clore-api.md Part A 7, 10-18)
 * switched on at once in the simulator, and a job still runs, finds its order, and is billed what
 * it shows.
 */
let redis: RedisHandle;
let kit: Kit | undefined;

beforeAll(async () => {
  redis = await startRedis({ private: true });
});
afterAll(async () => {
  await redis.stop();
});
afterEach(async () => {
  await kit?.close();
  kit = undefined;
});

interface SimOrderFacts {
  id: number;
  active: boolean;
  image: string;
  autossh: boolean;
  stage: string;
  readyAt?: number;
  keyAcceptedFrom?: number;
  spend: number;
  creationFee: number;
  currency: string;
}

describe('provider fidelity, all at once', () => {
  it('staged readiness with key refusal, autossh required, creation fees, null fields, a malformed foreign order and a provider clock 3 min ahead: the job succeeds and its cost equals the bill', async () => {
    kit = await startKit(redis.url, {
      noWorker: true,
      sim: {
        // The key is refused for a while after the order shows deployed (scaled down), the
        // image has no sshd (only autossh_entrypoint gives it SSH), display fields come as null.
        orderHost: { keyRefusalAfterDeployedMs: [400, 600], deployingShare: 0.5, autosshRequired: true },
        faults: { nullFields: 0.5 },
        provider: { clockOffsetMs: 180_000 },
      },
    });
    const k = kit;
    // Another tool's orders on the same key: one with every optional field null, one unreadable.
    for (const body of [{ nullFields: 'optional' }, { nullFields: ['price', 'si'] }]) {
      const answer = await fetch(`${k.sim.url}/_sim/keys/${SIM_KEY}/foreign-orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(answer.status).toBe(200);
    }
    await k.startWorker();
    const job = await k.submit({ image: 'ubuntu:22.04', command: 'echo through every quirk' });
    const done = await k.waitDone(job.id, 60_000);
    expect(done.state, done.message).toBe('succeeded');
    expect(done.attempts).toHaveLength(1);
    expect((await k.store.readLog(job.id)).toString()).toBe('through every quirk\n');
    await k.noActiveOrders();

    const orders = (await (await fetch(`${k.sim.url}/_sim/orders`)).json()) as { orders: SimOrderFacts[] };
    expect(orders.orders).toHaveLength(1);
    const order = orders.orders[0] as SimOrderFacts;
    expect(order.id).toBe(done.attempts[0]?.orderId);
    // SSH only came through Clore's entrypoint; the order went through its deploy stages and
    // refused the key after it showed deployed: the worker waited instead of failing ssh_error.
    expect(order.autossh).toBe(true);
    expect(order.keyAcceptedFrom).toBeGreaterThan(order.readyAt ?? Number.POSITIVE_INFINITY);
    expect(Date.parse(done.attempts[0]?.readyAt as string)).toBeGreaterThanOrEqual(
      order.keyAcceptedFrom as number,
    );
    // The foreign orders were never touched.
    const foreign = (await (await fetch(`${k.sim.url}/_sim/foreign-orders`)).json()) as {
      orders: { cancelled: boolean }[];
    };
    expect(foreign.orders).toHaveLength(2);
    expect(foreign.orders.every((o) => !o.cancelled)).toBe(true);
    // The cost shown is the simulator's bill: spend + creation fee (USD-Blockchain: USD), within 1 %.
    expect(order.currency).toBe('USD-Blockchain');
    expect(order.creationFee).toBeCloseTo(0.1, 6);
    const billed = order.spend + order.creationFee;
    expect(Math.abs(done.costUsd - billed) / billed).toBeLessThan(0.01);
  }, 90_000);
});

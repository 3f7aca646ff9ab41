import type { JobStore } from '@clore-batch/shared';
import { type RedisHandle, startRedis, waitFor } from '@clore-batch/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Kit, type SimOrder, startKit } from './support/e2e-kit';

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

/** What the simulator billed for these orders: spend + creation fee (clore-api.md Part A 11). */
const billedOf = (orders: SimOrder[]) => orders.reduce((sum, o) => sum + o.spend + o.creationFee, 0);

/**
 * A store whose first spend write fails as a Redis replica would (READONLY), then works again. The
 * worker writes through `fenced(lease)` stores: those are wrapped too, sharing the one failure.
 */
function failFirstSpendWrite(store: JobStore): JobStore {
  const state = { failed: false, injected: 0 };
  const wrap = (inner: JobStore): JobStore =>
    new Proxy(inner, {
      get(target, property, receiver) {
        if (property === 'attemptSpent') {
          return async (...args: Parameters<JobStore['attemptSpent']>) => {
            if (!state.failed) {
              state.failed = true;
              state.injected += 1;
              throw new Error("READONLY You can't write against a read only replica.");
            }
            return target.attemptSpent(...args);
          };
        }
        if (property === 'fenced') {
          return (...args: Parameters<JobStore['fenced']>) => wrap(target.fenced(...args));
        }
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  injectedFailures = () => state.injected;
  return wrap(store);
}
let injectedFailures = () => 0;

describe('money safety: the budget holds whatever fails (issue 13)', () => {
  it('an exception in the watch loop does not switch the budget off (repro 3)', async () => {
    // 1 real second bills 10 sim minutes: the $0.5 budget is reached in seconds.
    kit = await startKit(redis.url, { sim: { clockSpeed: 600 }, wrapStore: failFirstSpendWrite });
    const budgetUsd = 0.5;
    const job = await kit.submit({
      command: 'echo spending; sleep 60',
      budgetUsd,
      maxPricePerHourUsd: 1,
      timeoutSeconds: 120,
    });
    const done = await kit.waitDone(job.id, 90_000);
    expect(done.reason).toBe('budget_exceeded');
    expect(done.state).toBe('failed');
    // The exception really happened inside the watch.
    expect(injectedFailures()).toBe(1);
    await kit.noActiveOrders();
    const billed = billedOf(await kit.orders());
    expect(billed).toBeLessThan(budgetUsd * 1.1);
    expect(done.costUsd).toBeCloseTo(billed, 4);
  }, 120_000);

  it('my_orders failing during a budgeted run: the job stops within the budget, the cost equals the bill (repro 4)', async () => {
    kit = await startKit(redis.url, { sim: { clockSpeed: 600 } });
    const budgetUsd = 0.5;
    const job = await kit.submit({
      command: 'echo spending; sleep 60',
      budgetUsd,
      maxPricePerHourUsd: 1,
      timeoutSeconds: 120,
    });
    // Two verified figures first (the billing rate is known), then my_orders answers only errors.
    await kit.waitFor(job.id, (j) => j.state === 'running' && (j.attempts[0]?.spentUsd ?? 0) > 0.05, 30_000);
    await kit.setFaults({ endpoints: { my_orders: { http500: 1 } } });
    const decided = await kit.waitFor(job.id, (j) => j.attempts[0]?.endReason !== undefined, 30_000);
    expect(['budget_exceeded', 'spend_unverified'], JSON.stringify(decided.events)).toContain(
      decided.attempts[0]?.endReason,
    );
    // The cancel went out without my_orders; let the release see it ended.
    await waitFor(async () => (await kit?.activeOrders())?.length === 0, {
      timeoutMs: 10_000,
      message: 'the order to be cancelled while my_orders fails',
    });
    await kit.setFaults({});
    const done = await kit.waitDone(job.id, 30_000);
    expect(done.state).toBe('failed');
    const orders = await kit.orders();
    expect(orders).toHaveLength(1);
    const billed = billedOf(orders);
    // One check interval (the background cadence, ORDER_IDLE_POLL_INTERVAL_MS = 5 x 200 ms real =
    // 10 sim minutes) of the hourly price.
    const server = orders[0] as SimOrder;
    const hourlyUsd = (done.attempts[0]?.pricePerHourUsd ?? 1) as number;
    expect(server.active).toBe(false);
    expect(billed).toBeLessThanOrEqual(budgetUsd + hourlyUsd / 6);
    // Issue 14: the cost shown equals the simulator's bill (spend + creation fee) within 1 %.
    expect(Math.abs(done.costUsd - billed) / billed).toBeLessThan(0.01);
    console.warn(
      `lifecycle.money: my_orders down: ${decided.attempts[0]?.endReason}, billed $${billed.toFixed(4)} of a $${budgetUsd} budget (bound $${(budgetUsd + hourlyUsd / 6).toFixed(4)}), shown $${done.costUsd.toFixed(4)}`,
    );
  }, 120_000);

  it('a stray order the reaper counts while the attempt runs is seen by the budget watch', async () => {
    // Real time: the attempt's own spend stays far below the budget for the whole test.
    kit = await startKit(redis.url);
    const budgetUsd = 5;
    const job = await kit.submit({ command: 'echo running; sleep 60', budgetUsd, timeoutSeconds: 120 });
    const running = await kit.waitFor(
      job.id,
      (j) => j.state === 'running' && j.attempts[0]?.orderId !== undefined,
    );
    // What the fleet leader writes when it reaps an order of a lost create of this job (decision 0123).
    await kit.store.recordStrayOrder(job.id, {
      orderId: 999_001,
      serverId: 1,
      attempt: 1,
      costUsd: budgetUsd - 0.001,
    });
    const decided = await kit.waitFor(job.id, (j) => j.attempts[0]?.endReason !== undefined, 30_000);
    expect(decided.attempts[0]?.endReason, JSON.stringify(decided.events)).toBe('budget_exceeded');
    const done = await kit.waitDone(job.id, 30_000);
    expect(done.state).toBe('failed');
    expect(done.reason).toBe('budget_exceeded');
    expect(running.attempts[0]?.spentUsd ?? 0).toBeLessThan(1);
  }, 120_000);

  it('a budget stop cancels the order before it stops a command that ignores SIGTERM (the kill grace is not billed)', async () => {
    // 1 real second bills 10 sim minutes; the command ignores SIGTERM, so stopping it takes the
    // whole 5 s kill grace (50 sim minutes).
    kit = await startKit(redis.url, { sim: { clockSpeed: 600 }, env: { WORKER_KILL_GRACE_SECONDS: '5' } });
    const budgetUsd = 0.5;
    const job = await kit.submit({
      command: "trap '' TERM; echo spending; sleep 120",
      budgetUsd,
      maxPricePerHourUsd: 1,
      timeoutSeconds: 300,
    });
    const done = await kit.waitDone(job.id, 90_000);
    expect(done.reason).toBe('budget_exceeded');
    await kit.noActiveOrders();
    const orders = await kit.orders();
    expect(orders).toHaveLength(1);
    const billed = billedOf(orders);
    const hourlyUsd = done.attempts[0]?.pricePerHourUsd ?? 1;
    // Within one background check interval (1 s real = 10 sim minutes) of the hourly price.
    expect(billed).toBeLessThanOrEqual(budgetUsd + hourlyUsd / 6);
  }, 120_000);

  it('a price unit setting that does not match the marketplace rents nothing (every USD figure would be 24x off)', async () => {
    // The simulator quotes price.usd per hour; the worker is told the quotes are per day.
    kit = await startKit(redis.url, { sim: { usdPriceUnit: 'hour' }, env: { CLORE_PRICE_UNIT: 'day' } });
    const job = await kit.submit({ command: 'echo never' });
    const done = await kit.waitDone(job.id, 30_000);
    expect(done.state).toBe('failed');
    expect(done.reason).toBe('internal');
    expect(done.message).toMatch(/CLORE_PRICE_UNIT \(the unit of price\.usd\) looks wrong/);
    expect(done.attempts).toHaveLength(0);
    expect(await kit.orders()).toEqual([]);
  }, 60_000);

  it('my_orders failing for longer than SPEND_UNVERIFIED_MAX_SECONDS ends the job spend_unverified, order cancelled', async () => {
    // A real clock: the budget is far away; only the unverified window can stop the job.
    kit = await startKit(redis.url, { env: { SPEND_UNVERIFIED_MAX_SECONDS: '2' } });
    const job = await kit.submit({ command: 'echo running; sleep 60', budgetUsd: 50, timeoutSeconds: 120 });
    await kit.waitFor(job.id, ['running'], 30_000);
    await kit.setFaults({ endpoints: { my_orders: { http500: 1 } } });
    const decided = await kit.waitFor(job.id, (j) => j.attempts[0]?.endReason !== undefined, 20_000);
    expect(decided.attempts[0]?.endReason).toBe('spend_unverified');
    await waitFor(async () => (await kit?.activeOrders())?.length === 0, {
      timeoutMs: 10_000,
      message: 'the order to be cancelled while my_orders fails',
    });
    await kit.setFaults({});
    const done = await kit.waitDone(job.id, 30_000);
    expect(done.state).toBe('failed');
    expect(done.reason).toBe('spend_unverified');
    expect(done.attempts).toHaveLength(1);
    expect(done.message).toMatch(/could not be verified/);
    const billed = billedOf(await kit.orders());
    expect(Math.abs(done.costUsd - billed) / billed).toBeLessThan(0.01);
  }, 120_000);

  it('an order booked above maxPricePerHourUsd is cancelled at once and its server skipped (price guard)', async () => {
    // The listing is read once; hosts then reprice (x100) before the create: every order is booked
    // far above the price selection saw and above the cap.
    // A provider that books above required_price anyway (the simulator refuses such a create by
    // default: our assumption of required_price's effect, docs/decisions/0106).
    kit = await startKit(redis.url, {
      env: { MARKETPLACE_REFRESH_MS: '600000' },
      sim: { provider: { enforceRequiredPrice: false } },
    });
    const worker = kit.worker;
    if (worker === undefined) {
      throw new Error('no worker');
    }
    const listing = await worker.fleet.marketplace.get();
    expect(listing.servers.length).toBeGreaterThan(0);
    for (const server of kit.sim.sim.servers.values()) {
      for (const coin of Object.keys(server.onDemand) as (keyof typeof server.onDemand)[]) {
        server.onDemand[coin] = (server.onDemand[coin] ?? 0) * 100;
      }
    }
    const job = await kit.submit({ command: 'echo never', maxPricePerHourUsd: 5, maxAttempts: 2 });
    const done = await kit.waitDone(job.id, 60_000);
    expect(done.state).toBe('failed');
    const first = done.attempts[0];
    expect(first?.endReason).toBe('provider_error');
    expect(done.events.map((e) => e.message).join('\n')).toMatch(
      /booked at \$[\d.]+\/h, above the job's maxPricePerHourUsd \$5/,
    );
    // Another attempt never went back to the same server.
    const servers = done.attempts.map((a) => a.serverId);
    expect(new Set(servers).size).toBe(servers.length);
    expect((await kit.store.readLog(job.id)).toString()).not.toContain('never');
    await kit.noActiveOrders();
    // required_price carried the per-day price selection saw (Part A 14): the booked one is 100x.
    const simOrders = [...kit.sim.sim.orders.values()];
    expect(simOrders.length).toBe(done.attempts.length);
    for (const order of simOrders) {
      expect(order.requiredPrice).toBeDefined();
      expect((order.requiredPrice ?? 0) * 100).toBeCloseTo(order.price, 6);
    }
  }, 90_000);

  it('an order booked with other GPUs than the listing showed is cancelled at once and its server skipped', async () => {
    // The listing is read once; the hosts then swap their hardware for a variant the spec does not
    // name (RTX 3090 -> RTX 3090 Ti): the orders are booked with GPUs the user did not ask for.
    kit = await startKit(redis.url, { env: { MARKETPLACE_REFRESH_MS: '600000' } });
    const worker = kit.worker;
    if (worker === undefined) {
      throw new Error('no worker');
    }
    expect((await worker.fleet.marketplace.get()).servers.length).toBeGreaterThan(0);
    for (const server of kit.sim.sim.servers.values()) {
      server.gpuModel = `${server.gpuModel} Ti`;
    }
    const job = await kit.submit({ command: 'echo never', maxAttempts: 2 });
    const done = await kit.waitDone(job.id, 60_000);
    expect(done.state).toBe('failed');
    expect(done.attempts.length).toBeGreaterThan(0);
    expect(done.attempts.every((a) => a.endReason === 'provider_error')).toBe(true);
    expect(done.events.map((e) => e.message).join('\n')).toMatch(
      /was booked with .* Ti.*not 1 x RTX 3090 \| RTX 4090/,
    );
    const servers = done.attempts.map((a) => a.serverId);
    expect(new Set(servers).size).toBe(servers.length);
    expect((await kit.store.readLog(job.id)).toString()).not.toContain('never');
    await kit.noActiveOrders();
  }, 90_000);

  it('review: a booked price above the cap is caught even when the first sighting of the order had no exchange rate', async () => {
    // A host that books above required_price (its server-side effect is not public, Part A 14).
    kit = await startKit(redis.url, {
      sim: { provider: { enforceRequiredPrice: false } },
      env: { MARKETPLACE_REFRESH_MS: '600000', SPEND_UNVERIFIED_MAX_SECONDS: '300' },
      // The watch re-reads the rates after 1 s instead of a minute (same code path, shorter clock).
      settings: { ratesMaxAgeMs: 1_000 },
    });
    const worker = kit.worker;
    if (worker === undefined) {
      throw new Error('no worker');
    }
    await worker.fleet.marketplace.get();
    for (const server of kit.sim.sim.servers.values()) {
      for (const coin of Object.keys(server.onDemand) as (keyof typeof server.onDemand)[]) {
        server.onDemand[coin] = (server.onDemand[coin] ?? 0) * 100;
      }
    }
    // The second read (the attempt's watch, when it first sees the order) lacks the order's currency
    // rate, as a listing without a USD quote for it would; every other read has it.
    const { marketplace } = worker.fleet;
    const get = marketplace.get.bind(marketplace);
    let reads = 0;
    marketplace.get = async (...args: Parameters<typeof get>) => {
      const market = await get(...args);
      reads += 1;
      if (reads !== 2) {
        return market;
      }
      const { 'USD-Blockchain': _missing, ...usdRates } = market.usdRates;
      return { ...market, usdRates };
    };
    const job = await kit.submit({
      command: 'echo running; sleep 90',
      maxPricePerHourUsd: 5,
      maxAttempts: 1,
      budgetUsd: 1_000,
      timeoutSeconds: 300,
    });
    const done = await kit.waitDone(job.id, 150_000);
    expect(done.attempts[0]?.endReason).toBe('provider_error');
    expect(done.events.map((e) => e.message).join('\n')).toMatch(
      /booked at \$[\d.]+\/h, above the job's maxPricePerHourUsd \$5/,
    );
  }, 180_000);
});

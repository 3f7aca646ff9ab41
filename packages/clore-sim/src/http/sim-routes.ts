import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isCurrency, USD_RATES } from '../currencies';
import { type FaultSettings, FaultSettingsSchema } from '../faults';
import { keyHash } from '../key-hash';
import { ForeignOrderSpecSchema } from '../orders/foreign-orders';
import { isActive } from '../orders/order';
import { orderSummary } from '../orders/order-summary';
import type { Simulator } from '../simulator';

const BalanceBody = z.object({ key: z.string(), currency: z.string(), amount: z.number() });
const ClockBody = z.object({
  speed: z.number().positive().optional(),
  advanceMs: z.number().min(0).optional(),
  /** The provider's clock this many ms ahead (+) or behind (-) real time, from now on. */
  offsetMs: z.number().finite().optional(),
});
const MyOrdersFaultBody = z.strictObject({
  mode: z.enum(['empty', 'short']),
  forMs: z.number().positive(),
  /** Only this key's answers (the key or its keyHash); every key when absent. */
  key: z.string().optional(),
});
const RentBody = z.object({ rented: z.boolean().default(true) }).default({ rented: true });
const OnlineBody = z.object({ online: z.boolean() });
const KeyRefusalBody = z.object({ ms: z.number().min(0) });
const IdParams = z.object({ id: z.coerce.number().int() });

/**
 * Inspection and control routes under `/_sim/` (never under `/v1/`, no auth): for tests, benchmarks
 * and demos.
 */
export function registerSimRoutes(app: FastifyInstance, sim: Simulator): void {
  const bad = (message: string) => ({ error: message });

  app.get('/_sim/calls', async (request) => {
    const query = request.query as { since?: string; keyHash?: string; endpoint?: string };
    const since = query.since === undefined ? undefined : Number(query.since);
    const calls = sim.calls
      .list()
      .filter(
        (c) =>
          (since === undefined || c.at > since) &&
          (query.keyHash === undefined || c.keyHash === query.keyHash) &&
          (query.endpoint === undefined || c.endpoint === query.endpoint),
      );
    return { calls };
  });

  // How long this process's event loop was blocked since the last reset: a simulator that stalls
  // stamps calls that queued meanwhile as arriving together (a load test tells that apart from a
  // limiter that sent them together).
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  app.addHook('onClose', async () => loopDelay.disable());
  app.get('/_sim/loop-delay', async () => ({
    maxMs: Math.round(loopDelay.max / 1e6),
    p99Ms: Math.round(loopDelay.percentile(99) / 1e6),
  }));
  app.post('/_sim/loop-delay/reset', async () => {
    loopDelay.reset();
    return { ok: true };
  });

  app.get('/_sim/orders', async () => {
    sim.tick();
    return { orders: [...sim.orders.values()].map(orderSummary) };
  });

  app.get('/_sim/marketplace', async () => ({
    servers: [...sim.servers.values()].map((s) => ({ ...s, rented: sim.isRented(s) })),
    rates: USD_RATES,
  }));

  /** A configured key named by itself or by its keyHash. */
  const findKey = (name: string) => sim.options.keys.find((k) => k.key === name || keyHash(k.key) === name);

  app.get('/_sim/state', async () => {
    sim.tick();
    return {
      clock: { now: sim.clock.now(), speed: sim.clock.speed, offsetMs: sim.clock.offsetMs },
      provider: sim.options.provider,
      myOrdersFaults: sim.myOrdersOutages.list(),
      shape: sim.options.shape,
      limits: sim.options.limits,
      faults: sim.faults,
      orderHost: sim.options.orderHost,
      isolation: await sim.isolation().catch(() => 'unavailable'),
      keys: sim.options.keys.map((k) => ({ keyHash: keyHash(k.key), balances: sim.balancesOf(k.key) })),
      activeOrders: [...sim.orders.values()].filter(isActive).length,
    };
  });

  app.post('/_sim/reset', async () => {
    await sim.reset();
    return { ok: true };
  });

  const withOrder = (id: number) => sim.orders.get(id);

  app.post('/_sim/orders/:id/outbid', async (request, reply) => {
    const order = withOrder(IdParams.parse(request.params).id);
    if (!order || !isActive(order)) {
      return reply.code(404).send(bad('no such active order'));
    }
    sim.endOrder(order, 'outbid');
    return { ok: true };
  });

  app.post('/_sim/orders/:id/stop-sshd', async (request, reply) => {
    const order = withOrder(IdParams.parse(request.params).id);
    if (!order) {
      return reply.code(404).send(bad('no such order'));
    }
    await order.host.stopSshd();
    return { ok: true };
  });

  app.post('/_sim/orders/:id/key-refusal', async (request, reply) => {
    const order = withOrder(IdParams.parse(request.params).id);
    const body = KeyRefusalBody.safeParse(request.body);
    if (!order || !isActive(order)) {
      return reply.code(404).send(bad('no such active order'));
    }
    if (!body.success) {
      return reply.code(400).send(bad('need {ms: number >= 0}'));
    }
    await sim.refuseKeyFor(order, body.data.ms);
    return { ok: true, keyAcceptedFrom: order.keyAcceptedFrom };
  });

  app.post('/_sim/balance', async (request, reply) => {
    const body = BalanceBody.safeParse(request.body);
    if (
      !body.success ||
      !isCurrency(body.data.currency) ||
      !sim.setBalance(body.data.key, body.data.currency, body.data.amount)
    ) {
      return reply.code(400).send(bad('need {key, currency, amount} with a known key and currency'));
    }
    return { ok: true };
  });

  app.post('/_sim/clock', async (request, reply) => {
    const body = ClockBody.safeParse(request.body);
    if (!body.success) {
      return reply
        .code(400)
        .send(bad('need {speed?: number > 0, advanceMs?: number >= 0, offsetMs?: number}'));
    }
    sim.tick();
    if (body.data.advanceMs !== undefined) {
      sim.clock.advance(body.data.advanceMs);
    }
    if (body.data.offsetMs !== undefined) {
      sim.clock.setOffset(body.data.offsetMs);
    }
    if (body.data.speed !== undefined) {
      sim.clock.setSpeed(body.data.speed);
    }
    sim.tick();
    return { ok: true, speed: sim.clock.speed, now: sim.clock.now(), offsetMs: sim.clock.offsetMs };
  });

  app.post('/_sim/keys/:key/foreign-orders', async (request, reply) => {
    const key = findKey((request.params as { key: string }).key);
    const body = ForeignOrderSpecSchema.safeParse(request.body ?? {});
    if (!key || !body.success) {
      return reply
        .code(key ? 400 : 404)
        .send(bad(key ? (body.error?.message ?? 'bad body') : 'no such key (give the key or its keyHash)'));
    }
    const added = sim.foreignOrders.add(key.key, body.data, sim.clock.now());
    return { ok: true, ids: added.map((o) => o.id) };
  });

  app.delete('/_sim/keys/:key/foreign-orders', async (request, reply) => {
    const key = findKey((request.params as { key: string }).key);
    if (!key) {
      return reply.code(404).send(bad('no such key'));
    }
    sim.foreignOrders.clear(key.key);
    return { ok: true };
  });

  app.get('/_sim/foreign-orders', async () => ({
    orders: sim.foreignOrders.list().map((o) => ({
      id: o.id,
      keyHash: o.keyHash,
      serverId: o.serverId,
      cancelled: o.cancelledAtSim !== undefined,
      cancelledAtSim: o.cancelledAtSim,
    })),
  }));

  app.post('/_sim/my-orders-fault', async (request, reply) => {
    const body = MyOrdersFaultBody.safeParse(request.body ?? {});
    if (!body.success) {
      return reply.code(400).send(bad('need {mode: "empty"|"short", forMs: number > 0, key?: string}'));
    }
    const key = body.data.key === undefined ? undefined : findKey(body.data.key);
    if (body.data.key !== undefined && !key) {
      return reply.code(404).send(bad('no such key'));
    }
    const until = sim.myOrdersOutages.start(
      body.data.mode,
      body.data.forMs,
      key ? { key: key.key } : undefined,
    );
    return { ok: true, until };
  });

  app.delete('/_sim/my-orders-fault', async () => {
    sim.myOrdersOutages.clear();
    return { ok: true };
  });

  app.get('/_sim/faults', async () => sim.faults);

  app.put('/_sim/faults', async (request, reply) => {
    const body = FaultSettingsSchema.safeParse(request.body ?? {});
    if (!body.success) {
      return reply.code(400).send(bad(body.error.message));
    }
    sim.setFaults(body.data as FaultSettings);
    return { ok: true, faults: sim.faults };
  });

  app.post('/_sim/servers/:id/online', async (request, reply) => {
    const server = sim.servers.get(IdParams.parse(request.params).id);
    const body = OnlineBody.safeParse(request.body);
    if (!server || !body.success) {
      return reply.code(server ? 400 : 404).send(bad('need an existing server and {online: boolean}'));
    }
    server.online = body.data.online;
    return { ok: true, online: server.online };
  });

  app.post('/_sim/servers/:id/rent', async (request, reply) => {
    const server = sim.servers.get(IdParams.parse(request.params).id);
    const body = RentBody.safeParse(request.body ?? undefined);
    if (!server || !body.success) {
      return reply.code(404).send(bad('no such server'));
    }
    server.rentedExternally = body.data.rented;
    return { ok: true, rented: sim.isRented(server) };
  });
}

import type { Logger } from '@clore-batch/shared';
import { forComponent } from '@clore-batch/shared';
import { MyOrdersOutages } from './api/my-orders-outage';
import { CallLog } from './call-log';
import { SimClock } from './clock';
import { type Balances, type Currency, isCurrency } from './currencies';
import { type FaultSettings, normalizeFaults } from './faults';
import { PortAllocator } from './host/port-allocator';
import { generateMarketplace } from './market/generate';
import type { SimServer } from './market/server';
import { type ResolvedKey, type ResolvedOptions, resolveOptions, type SimOptions } from './options';
import { billOrder } from './orders/billing';
import { checkCreate } from './orders/create-checks';
import { ForeignOrders } from './orders/foreign-orders';
import { type CreateOrderInput, newOrder } from './orders/new-order';
import { type EndReason, isActive, type SimOrder } from './orders/order';
import { repriceServer } from './orders/reprice';
import { RateLimiter } from './rate-limiter';
import { createRng, type Rng } from './rng';

export type { CreateOrderInput };

export type CreateOutcome = { ok: true; order: SimOrder } | { ok: false; error: string };

/**
 * The simulator's state and order lifecycle, independent of HTTP: marketplace, balances, orders
 * and their hosts, the sim clock and one billing ticker.
 */
export class Simulator {
  readonly options: ResolvedOptions;
  readonly clock: SimClock;
  readonly calls = new CallLog();
  readonly rateLimiter: RateLimiter;
  readonly log: Logger;
  faults: FaultSettings;
  faultRng: Rng;
  servers = new Map<number, SimServer>();
  orders = new Map<number, SimOrder>();
  /** Other tools' orders on a key (Part A 16), added by `/_sim/keys/:key/foreign-orders`. */
  readonly foreignOrders = new ForeignOrders();
  /** my_orders answers empty or short for a time window (`/_sim/my-orders-fault`). */
  readonly myOrdersOutages = new MyOrdersOutages();
  private balances = new Map<string, Balances>();
  private keys = new Map<string, ResolvedKey>();
  private nextOrderId = 0;
  private readonly ports = new PortAllocator();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private ticker: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: SimOptions = {}) {
    this.options = resolveOptions(options);
    this.log = forComponent(this.options.logger, 'clore-sim');
    this.clock = new SimClock(this.options.clockSpeed, Date.now, this.options.provider.clockOffsetMs);
    this.rateLimiter = new RateLimiter(this.options.limits);
    this.faults = normalizeFaults(this.options.faults);
    this.faultRng = createRng(this.options.seed + 1);
    this.populate();
    this.ticker = setInterval(() => this.tick(), this.options.tickMs);
    this.ticker.unref();
    process.on('exit', this.killOnExit);
  }

  /** If the process exits without close(), take the sshds and startup commands down with it. */
  private readonly killOnExit = (): void => {
    for (const order of this.orders.values()) {
      order.host.killNow();
    }
  };

  private populate(): void {
    const rng = createRng(this.options.seed);
    this.servers = new Map(generateMarketplace(rng, this.options.servers).map((s) => [s.id, s]));
    this.nextOrderId = 100_000 + rng.int(0, 800_000);
    this.keys = new Map(this.options.keys.map((k) => [k.key, k]));
    this.balances = new Map(this.options.keys.map((k) => [k.key, { ...k.balances }]));
  }

  isKnownKey(key: string | undefined): key is string {
    return key !== undefined && this.keys.has(key);
  }

  balancesOf(key: string): Balances {
    const balances = this.balances.get(key);
    if (!balances) {
      throw new Error('unknown key');
    }
    return balances;
  }

  ownServersOf(key: string): number[] {
    return this.keys.get(key)?.ownServers ?? [];
  }

  isRented(server: SimServer): boolean {
    return server.rentedExternally || this.activeOrdersOn(server.id).length > 0;
  }

  activeOrdersOn(serverId: number): SimOrder[] {
    return [...this.orders.values()].filter((o) => o.serverId === serverId && isActive(o));
  }

  ordersOf(key: string): SimOrder[] {
    return [...this.orders.values()].filter((o) => o.key === key);
  }

  private allocatePort(): Promise<number> {
    return this.ports.allocate();
  }

  async createOrder(key: string, input: CreateOrderInput): Promise<CreateOutcome> {
    // Ports first (asynchronous), so the checks and the insert below run without a break in which a
    // concurrent create could take the same server. The sshd binds its port only once provisioned.
    const sshPort = await this.allocatePort();
    const extraTcpPorts: Record<string, number> = {};
    let httpPort: string | undefined;
    for (const [inner, kind] of Object.entries(input.ports ?? {})) {
      if (kind === 'http') {
        httpPort ??= inner;
      } else if (inner !== '22') {
        extraTcpPorts[inner] = await this.allocatePort();
      }
    }
    const releasePorts = () => {
      this.ports.release(sshPort);
      for (const port of Object.values(extraTcpPorts)) {
        this.ports.release(port);
      }
    };
    if (this.closed) {
      releasePorts();
      return { ok: false, error: 'server-offline' };
    }
    this.tick();
    const server = this.servers.get(input.serverId);
    if (server && this.faultRng.chance(this.options.provider.repriceChance)) {
      repriceServer(server, this.options.provider.repriceFactor);
      this.log.info({ serverId: server.id, factor: this.options.provider.repriceFactor }, 'host repriced');
    }
    const check = checkCreate(input, server, {
      key,
      ownServers: this.ownServersOf(key),
      balances: this.balancesOf(key),
      activeOnServer: this.activeOrdersOn(input.serverId),
      provider: this.options.provider,
    });
    if (!check.ok || !server) {
      releasePorts();
      return { ok: false, error: check.ok ? 'server-dont-exist' : check.error };
    }
    if (check.outbids) {
      this.endOrder(check.outbids, 'outbid');
    }
    const id = this.nextOrderId;
    this.nextOrderId += 1;
    const now = Date.now();
    const [minMs, maxMs] = this.options.provisioningMs;
    const order = newOrder({
      id,
      key,
      server,
      input,
      price: check.price,
      creationFee: check.creationFee,
      ports: { sshPort, extraTcpPorts, httpPort },
      now,
      simNow: this.clock.now(),
      provisionAt: now + Math.round(this.faultRng.range(minMs, maxMs)),
      neverUp:
        (this.faults.neverUpServers ?? []).includes(server.id) ||
        this.faultRng.chance(this.faults.neverUp ?? 0),
      instanceId: this.options.instanceId,
    });
    this.balancesOf(key)[input.currency] -= check.creationFee;
    this.orders.set(id, order);
    this.later(order.provisionAt - now, () => this.provision(order));
    this.log.info(
      {
        orderId: id,
        serverId: server.id,
        type: order.type,
        currency: order.currency,
        price: order.price,
        neverUp: order.neverUp,
      },
      'order created',
    );
    return { ok: true, order };
  }

  /** Run `fn` after `ms` real ms unless the simulator closes first. */
  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        fn();
      },
      Math.max(0, ms),
    );
    this.timers.add(timer);
  }

  private track<T>(promise: Promise<T>): void {
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise));
  }

  private provision(order: SimOrder): void {
    if (!isActive(order) || this.closed) {
      return;
    }
    order.provisionedAt = Date.now();
    if (order.neverUp) {
      this.log.info({ orderId: order.id }, 'order provisioned but never comes up (fault)');
      return;
    }
    const refuseMs = this.faults.sshRefuseMs ?? 0;
    const ready = () => {
      order.monContainer = 1;
      order.readyAt = Date.now();
      if (order.command) {
        order.host.runCommand(order.command);
      }
    };
    const startSshd = () =>
      order.host.startSshd().catch((error: Error) => {
        this.log.error({ orderId: order.id, err: error.message }, 'order sshd failed to start');
        throw error;
      });
    if (refuseMs > 0) {
      ready();
      this.later(refuseMs, () => {
        if (isActive(order) && !this.closed) {
          this.track(startSshd().catch(() => {}));
        }
      });
      return;
    }
    this.track(
      startSshd().then(
        () => {
          if (isActive(order)) {
            ready();
          }
        },
        () => {},
      ),
    );
  }

  /** End an order now: bill it up to now, free the server, stop its sshd and kill its processes. */
  endOrder(order: SimOrder, reason: EndReason, atSim?: number): void {
    if (!isActive(order)) {
      return;
    }
    if (atSim === undefined) {
      billOrder(order, this.balancesOf(order.key), this.clock.now());
    }
    order.endedAt = Date.now();
    order.endedAtSim = atSim ?? this.clock.now();
    order.endReason = reason;
    order.monContainer = 0;
    this.ports.release(order.sshPort);
    for (const port of Object.values(order.extraTcpPorts)) {
      this.ports.release(port);
    }
    this.log.info({ orderId: order.id, reason, spend: order.spend }, 'order ended');
    this.track(order.host.stop());
  }

  /** Advance billing, `mrl` expiry and random spot outbids to the sim clock's now. */
  tick(): void {
    if (this.closed) {
      return;
    }
    const simNow = this.clock.now();
    const outbidPerHour = this.faults.spotOutbidPerHour ?? 0;
    for (const order of this.orders.values()) {
      if (!isActive(order)) {
        continue;
      }
      const from = order.billedUntilSim;
      const result = billOrder(order, this.balancesOf(order.key), simNow);
      if (result.endedAtSim !== undefined) {
        this.endOrder(order, result.reason, result.endedAtSim);
        continue;
      }
      if (order.type === 'spot' && outbidPerHour > 0) {
        const hours = (simNow - from) / 3_600_000;
        if (this.faultRng.chance(1 - Math.exp(-outbidPerHour * hours))) {
          this.endOrder(order, 'outbid');
        }
      }
    }
  }

  setBalance(key: string, currency: string, amount: number): boolean {
    const balances = this.balances.get(key);
    if (!balances || !isCurrency(currency)) {
      return false;
    }
    balances[currency as Currency] = amount;
    return true;
  }

  setFaults(faults: FaultSettings): void {
    this.faults = normalizeFaults(faults);
  }

  /** End every order, restore the marketplace, balances, faults and clock speed, clear the logs. */
  async reset(): Promise<void> {
    for (const order of this.orders.values()) {
      this.endOrder(order, 'reset');
    }
    await this.settle();
    this.orders.clear();
    this.ports.clear();
    this.calls.clear();
    this.rateLimiter.reset();
    this.faults = normalizeFaults(this.options.faults);
    this.faultRng = createRng(this.options.seed + 1);
    this.clock.setSpeed(this.options.clockSpeed);
    this.clock.setOffset(this.options.provider.clockOffsetMs);
    this.foreignOrders.clear();
    this.myOrdersOutages.clear();
    this.populate();
  }

  /** Wait for every sshd start/stop in flight. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) {
      await Promise.allSettled([...this.pending]);
    }
  }

  /** Stop the ticker and timers, end every order, and wait until every sshd and process is gone. */
  async close(): Promise<void> {
    if (this.ticker) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
    for (const timer of this.timers) {
      clearTimeout(timer);
    }
    this.timers.clear();
    await this.settle();
    for (const order of this.orders.values()) {
      this.endOrder(order, 'shutdown');
    }
    this.closed = true;
    await this.settle();
    process.off('exit', this.killOnExit);
  }
}

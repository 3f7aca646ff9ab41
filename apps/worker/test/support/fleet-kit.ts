import { randomUUID } from 'node:crypto';
import {
  CloreClient,
  createRateLimiter,
  hashApiKey,
  type MyOrdersReport,
  type RateLimiter,
} from '@clore-batch/clore';
import { type SimHandle, type SimServer, startSimulator } from '@clore-batch/clore-sim';
import { createTelemetryCounters, silentLogger, type TelemetryCounters } from '@clore-batch/shared';
import { type RedisHandle, startRedis, trackRedis } from '@clore-batch/testing';
import { Redis } from 'ioredis';
import { createFleet, type Fleet, type FleetDeps } from '../../src/fleet/create-fleet';
import type { AttemptLiveness } from '../../src/fleet/fleet-types';

/**
 * Test support for the fleet suites (not a test): a real Redis, the simulator over HTTP with its
 * limits scaled down (20 ms / 100 ms), and clients whose shared limiter spaces calls much wider
 * (150 ms / 300 ms). The margin is wide on purpose: the limiter spaces *sends*, the simulator stamps a
 * call when its handler runs, and it runs in the test's own event loop. When a create's handling is
 * delayed by event-loop lag (12 suites in parallel on 2 shared cores) and the my_orders that follows
 * its answer is handled at once, the two stamps come closer than the send spacing: with a 50 ms
 * limit and 100–150 ms spacing, about one full-suite run in four saw one 429. A bypassed limiter sends
 * calls back to back (< 20 ms), which these limits still catch.
 */
export const SIM_LIMITS = { generalMs: 20, createMs: 100 };
export const LIMITER_SPACING = { generalSpacingMs: 150, createSpacingMs: 300 };
export const API_KEY = 'fleet-test-key';

export interface FleetKit {
  redis: RedisHandle;
  sim: SimHandle;
  /** A fresh prefix per test. */
  prefix: string;
  /** A command connection for assertions (closed by close()). */
  db: Redis;
  telemetry: TelemetryCounters;
  /** A client with its own limiter (one per simulated process). */
  client(): CloreClient;
  /** A fleet as one worker process would build it: its own Redis connection, client and limiter. */
  fleet(options?: {
    liveness?: AttemptLiveness;
    settings?: Partial<FleetDeps['settings']>;
    /** Wrap the fleet's client (e.g. `answersShort`: some my_orders answers come back empty). */
    wrapClient?: (client: CloreClient) => CloreClient;
  }): Fleet;
  /** The settings every fleet of this kit starts from. */
  settings: FleetDeps['settings'];
  /** The simulator's call log for the test key since the last reset. */
  calls(endpoint?: string): { endpoint: string; at: number; code: number | null }[];
  /** A rentable server not used yet in this suite. */
  freshServer(): SimServer;
  /** Rent `count` fresh servers directly (one client); their order ids. */
  rentFresh(count: number): Promise<number[]>;
  /** The simulator's record of an order (it must exist). */
  simOrder(id: number): SimOrder;
  /** Start a new test: new prefix, simulator reset (every order ended, call log cleared). */
  reset(): Promise<void>;
  /** Stop every fleet, limiter and connection this kit made (not the Redis/sim). */
  stopAll(): Promise<void>;
  close(): Promise<void>;
}

type SimOrder = ReturnType<SimHandle['orders']>[number];

export const BASE_SETTINGS = {
  pollIntervalMs: 400,
  marketplaceRefreshMs: 2_000,
  reaperGraceMs: 1_000,
  leaderTtlMs: 900,
  pollMinGapMs: 100,
} as const;

export interface FleetKitOptions {
  /** A private Redis with AOF (suites that restart it). */
  privateRedis?: boolean;
  /** The real limits (1 s / 5 s) and the limiter's defaults (1.1 s / 5.2 s): the slow suites. */
  realLimits?: boolean;
}

/** The config defaults (ORDER_POLL_INTERVAL_MS, MARKETPLACE_REFRESH_MS, REAPER_GRACE_SECONDS). */
export const PRODUCTION_SETTINGS = {
  pollIntervalMs: 3_000,
  marketplaceRefreshMs: 15_000,
  reaperGraceMs: 120_000,
} as const;

export async function startFleetKit(options: FleetKitOptions = {}): Promise<FleetKit> {
  // A private server with AOF for the suites that restart Redis; else the shared one.
  const redis = await startRedis(options.privateRedis ? { private: true, appendOnly: true } : {});
  const sim = await startSimulator({
    seed: 11,
    servers: 80,
    limits: options.realLimits ? { generalMs: 1_000, createMs: 5_000 } : SIM_LIMITS,
    // Orders never come up during these tests: no sshd is started, the fleet only sees rentals.
    provisioningMs: [600_000, 600_000],
    keys: [{ key: API_KEY }],
  });
  const db = trackRedis(new Redis(redis.url), 'kit db');
  db.on('error', () => {});
  const keyHash = hashApiKey(API_KEY);
  const used = new Set<number>();
  let prefix = `test-${randomUUID()}`;
  let fleets: Fleet[] = [];
  let closers: (() => Promise<unknown>)[] = [];

  function connection(name: string): Redis {
    const conn = trackRedis(new Redis(redis.url), name);
    // A restarted Redis resets connections; ioredis reconnects (an unhandled 'error' would only print).
    conn.on('error', () => {});
    closers.push(() => conn.quit());
    return conn;
  }

  function client(): CloreClient {
    const limiter: RateLimiter = createRateLimiter({
      redis: connection('limiter redis'),
      keyHash,
      prefix,
      ...(options.realLimits ? {} : LIMITER_SPACING),
    });
    closers.unshift(() => limiter.close());
    return new CloreClient({
      baseUrl: sim.url,
      apiKey: API_KEY,
      limiter,
      retry: { maxAttempts: 1 },
      timeoutMs: 3_000,
    });
  }

  const kit: FleetKit = {
    redis,
    sim,
    db,
    get prefix() {
      return prefix;
    },
    telemetry: createTelemetryCounters(db, 'unused'),
    settings: options.realLimits ? PRODUCTION_SETTINGS : BASE_SETTINGS,
    client,
    fleet(options = {}) {
      const conn = connection('fleet redis');
      const fleet = createFleet({
        redis: conn,
        prefix,
        client: options.wrapClient === undefined ? client() : options.wrapClient(client()),
        logger: silentLogger(),
        telemetry: createTelemetryCounters(conn, prefix),
        liveness: options.liveness ?? (async () => true),
        settings: { ...kit.settings, ...options.settings },
      });
      fleets.push(fleet);
      return fleet;
    },
    calls(endpoint) {
      return sim.sim.calls
        .list()
        .filter((c) => c.keyHash === keyHash && (endpoint === undefined || c.endpoint === endpoint))
        .map((c) => ({ endpoint: c.endpoint, at: c.at, code: c.code }));
    },
    freshServer() {
      const server = [...sim.sim.servers.values()].find(
        (s) =>
          s.online &&
          !s.gigaspot &&
          !s.rentedExternally &&
          !used.has(s.id) &&
          (s.allowedCoins as string[]).includes('USD-Blockchain'),
      );
      if (server === undefined) {
        throw new Error('the generated marketplace has no rentable server left');
      }
      used.add(server.id);
      return server;
    },
    async rentFresh(count) {
      const renter = client();
      const ids: number[] = [];
      for (let i = 0; i < count; i += 1) {
        ids.push(await rentDirectly(renter, kit.freshServer().id));
      }
      return ids;
    },
    simOrder(id) {
      const order = sim.orders().find((o) => o.id === id);
      if (order === undefined) {
        throw new Error(`the simulator has no order ${id}`);
      }
      return order;
    },
    async reset() {
      await kit.stopAll();
      await sim.reset();
      used.clear();
      prefix = `test-${randomUUID()}`;
      kit.telemetry = createTelemetryCounters(db, prefix);
    },
    async stopAll() {
      await Promise.all(fleets.map((fleet) => fleet.stop()));
      fleets = [];
      for (const close of closers) {
        await close();
      }
      closers = [];
    },
    async close() {
      await kit.stopAll();
      await db.quit();
      await sim.close();
      await redis.stop();
    },
  };
  return kit;
}

/** Rent a server directly (as a job's create_order would), and return its order id from my_orders. */
export async function rentDirectly(client: CloreClient, serverId: number): Promise<number> {
  await client.createOrder({
    serverId,
    type: 'on-demand',
    currency: 'USD-Blockchain',
    image: 'ubuntu:22.04',
  });
  const order = await client.findOrderByServer({ serverId });
  if (order === undefined) {
    throw new Error(`the order on server ${serverId} did not show up`);
  }
  return order.id;
}

/**
 * A client whose next `my_orders` answers (set with `emptyNext(n)`) come back empty, as a provider
 * answering short would send them, or list some orders unreadable (`unreadableNext`); the call
 * itself still reaches the simulator over HTTP.
 */
export function answersShort(): {
  wrap: (client: CloreClient) => CloreClient;
  emptyNext(n: number): void;
  /** The next `n` answers list these orders as unreadable (as a `null` in a required field would). */
  unreadableNext(n: number, ids: readonly number[]): void;
} {
  let empty = 0;
  let unreadable = 0;
  let unreadableIds: readonly number[] = [];
  return {
    emptyNext(n) {
      empty = n;
    },
    unreadableNext(n, ids) {
      unreadable = n;
      unreadableIds = ids;
    },
    wrap(client) {
      const alter = async (report: MyOrdersReport): Promise<MyOrdersReport> => {
        if (empty > 0) {
          empty -= 1;
          return { orders: [], unreadable: [] };
        }
        if (unreadable > 0) {
          unreadable -= 1;
          return {
            orders: report.orders.filter((o) => !unreadableIds.includes(o.id)),
            unreadable: [
              ...report.unreadable,
              ...report.orders
                .filter((o) => unreadableIds.includes(o.id))
                .map((o, index) => ({ index, id: o.id, serverId: o.serverId, problems: ['price: null'] })),
            ],
          };
        }
        return report;
      };
      return new Proxy(client, {
        get(target, property, receiver) {
          if (property === 'myOrdersReport') {
            return async (...args: Parameters<CloreClient['myOrdersReport']>) =>
              alter(await target.myOrdersReport(...args));
          }
          if (property === 'myOrders') {
            return async (...args: Parameters<CloreClient['myOrdersReport']>) =>
              (await alter(await target.myOrdersReport(...args))).orders;
          }
          const value = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    },
  };
}

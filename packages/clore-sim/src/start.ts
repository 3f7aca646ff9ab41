import type { FastifyInstance } from 'fastify';
import { buildSimApp } from './app';
import type { Currency } from './currencies';
import type { FaultSettings } from './faults';
import type { SimOptions } from './options';
import { type OrderSummary, orderSummary } from './orders/order-summary';
import type { Simulator } from './simulator';

export interface SimHandle {
  /** e.g. `http://127.0.0.1:PORT`; the API is at `url + '/v1/<name>'`. */
  url: string;
  port: number;
  /** The API keys the simulator accepts. */
  keys: string[];
  app: FastifyInstance;
  sim: Simulator;
  /** Every order ever made (as `GET /_sim/orders`). */
  orders(): OrderSummary[];
  outbid(orderId: number): void;
  stopSshd(orderId: number): Promise<void>;
  /** Refuse the order's key for `ms` from now (0 = accept it now). */
  refuseKey(orderId: number, ms: number): Promise<void>;
  setBalance(key: string, currency: Currency, amount: number): void;
  setClockSpeed(speed: number): void;
  setFaults(faults: FaultSettings): void;
  /** Mark a server rented (or free again) by someone outside the simulation. */
  rentServer(serverId: number, rented?: boolean): void;
  /** Take a server offline (its orders show `online: false`; new orders get `server-offline`) or back. */
  setServerOnline(serverId: number, online: boolean): void;
  reset(): Promise<void>;
  /** Stop the HTTP server AND every sshd, and kill every order's processes. */
  close(): Promise<void>;
}

/** Start the simulator on 127.0.0.1 (port 0 = a free port). */
export async function startSimulator(options: SimOptions = {}): Promise<SimHandle> {
  const { app, sim } = await buildSimApp(options);
  await app.listen({ host: sim.options.host, port: sim.options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : sim.options.port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${sim.options.host}:${port}`,
    port,
    keys: sim.options.keys.map((k) => k.key),
    app,
    sim,
    orders: () => {
      sim.tick();
      return [...sim.orders.values()].map(orderSummary);
    },
    outbid: (orderId) => {
      const order = sim.orders.get(orderId);
      if (order) {
        sim.endOrder(order, 'outbid');
      }
    },
    refuseKey: async (orderId, ms) => {
      const order = sim.orders.get(orderId);
      if (order) {
        await sim.refuseKeyFor(order, ms);
      }
    },
    stopSshd: async (orderId) => {
      await sim.orders.get(orderId)?.host.stopSshd();
    },
    setBalance: (key, currency, amount) => {
      if (!sim.setBalance(key, currency, amount)) {
        throw new Error('unknown key or currency');
      }
    },
    setClockSpeed: (speed) => {
      sim.tick();
      sim.clock.setSpeed(speed);
    },
    setFaults: (faults) => sim.setFaults(faults),
    rentServer: (serverId, rented = true) => {
      const server = sim.servers.get(serverId);
      if (!server) {
        throw new Error(`no server ${serverId}`);
      }
      server.rentedExternally = rented;
    },
    setServerOnline: (serverId, online) => {
      const server = sim.servers.get(serverId);
      if (!server) {
        throw new Error(`no server ${serverId}`);
      }
      server.online = online;
    },
    reset: () => sim.reset(),
    close: () => {
      closing ??= app.close().then(() => undefined);
      return closing;
    },
  };
}

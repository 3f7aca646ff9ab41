import type { z } from 'zod';
import { CURRENCIES, roundAmount, SPOT_MAX_STEP, USD_RATES } from '../currencies';
import { marketplaceServerView } from '../market/server-view';
import { isActive, type SimOrder } from '../orders/order';
import { orderView } from '../orders/order-view';
import type { Simulator } from '../simulator';
import { type ApiResult, apiCode, custom, ok } from './result';
import { CancelOrderBody, CancelOrdersBody, CreateOrderBody, SetSpotPriceBody } from './schemas';

export interface EndpointRequest {
  query: Record<string, string | undefined>;
  /** The parsed JSON body; `undefined` when none was sent. */
  body: unknown;
}

export type EndpointHandler = (
  sim: Simulator,
  key: string,
  request: EndpointRequest,
) => ApiResult | Promise<ApiResult>;

/** Extra info the HTTP layer needs about a call (the order a create made, for lost-response faults). */
export interface EndpointContext {
  createdOrder?: SimOrder;
}

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> | undefined {
  const result = schema.safeParse(body ?? {});
  return result.success ? result.data : undefined;
}

const marketplace: EndpointHandler = (sim) =>
  ok({
    servers: [...sim.servers.values()].map((s) =>
      marketplaceServerView(s, sim.isRented(s), sim.options.usdPriceUnit),
    ),
  });

const wallets: EndpointHandler = (sim, key) => {
  sim.tick();
  const balances = sim.balancesOf(key);
  return ok({
    wallets: CURRENCIES.map((name) => ({
      name,
      deposit: `sim-deposit-${name}-${sim.options.instanceId.slice(0, 8)}`,
      balance: roundAmount(Math.max(0, balances[name]), name),
      withdrawal_fee: name === 'bitcoin' ? 0.0001 : name === 'USD-Blockchain' ? 1 : 10,
    })),
  });
};

const myOrders: EndpointHandler = (sim, key, { query }) => {
  sim.tick();
  const completed = query.return_completed === 'true';
  const orders = sim
    .ordersOf(key)
    .filter((o) => completed || isActive(o))
    .map((o) => orderView(o, sim.servers.get(o.serverId), sim.options.shape, sim.options.sshHost));
  return ok({ orders });
};

export function createOrderHandler(context: EndpointContext): EndpointHandler {
  return async (sim, key, { body }) => {
    const input = parse(CreateOrderBody, body);
    if (!input || (input.type === 'spot' && input.spotprice === undefined)) {
      return apiCode(2);
    }
    const outcome = await sim.createOrder(key, {
      serverId: input.renting_server,
      type: input.type,
      currency: input.currency,
      spotPrice: input.spotprice,
      image: input.image,
      command: input.command,
      env: input.env,
      sshKey: input.ssh_key,
      sshPassword: input.ssh_password,
      jupyterToken: input.jupyter_token,
      ports: input.ports,
      requiredPrice: input.required_price,
      autosshEntrypoint: input.autossh_entrypoint === true || input.autossh_entrypoint === 'true',
    });
    if (!outcome.ok) {
      return custom(outcome.error);
    }
    context.createdOrder = outcome.order;
    return sim.options.shape === 'seed' ? ok({ order_id: outcome.order.id }) : ok();
  };
}

const cancelOrder: EndpointHandler = (sim, key, { body }) => {
  const input = parse(CancelOrderBody, body);
  if (!input) {
    return apiCode(2);
  }
  if ((input.issue ?? '').length > 2048) {
    return custom('issue_description_too_long');
  }
  const order = sim.orders.get(input.id);
  if (!order || order.key !== key) {
    return custom('you_dont_own_this_order');
  }
  if (!isActive(order)) {
    return custom('order_not_active');
  }
  sim.endOrder(order, 'cancelled');
  return ok();
};

const cancelOrders: EndpointHandler = (sim, key, { body }) => {
  const input = parse(CancelOrdersBody, body);
  if (!input) {
    return apiCode(2);
  }
  const failed: string[] = [];
  for (const id of input.order_ids) {
    const order = sim.orders.get(id);
    if (!order || order.key !== key || !isActive(order)) {
      failed.push(String(id));
    } else {
      sim.endOrder(order, 'cancelled');
    }
  }
  return ok({ failed_to_cancel: failed });
};

const spotMarketplace: EndpointHandler = (sim, key, { query }) => {
  const raw = query.market;
  if (raw === undefined || !/^\d+$/.test(raw)) {
    return apiCode(2);
  }
  const server = sim.servers.get(Number(raw));
  if (!server) {
    return ok({ exists: false });
  }
  const offers = sim
    .activeOrdersOn(server.id)
    .filter((o) => o.type === 'spot')
    .map((o) => ({ offer_id: o.id, bid: o.price, active: true, my: o.key === key, currency: o.currency }));
  return ok({
    market: {
      offers,
      server: {
        min_pricing: { ...server.spotMin },
        mrl: server.mrl,
        online: server.online,
        visibility: 'public',
      },
      currency_rates_in_usd: { ...USD_RATES },
    },
    exists: true,
  });
};

const setSpotPrice: EndpointHandler = (sim, key, { body }) => {
  const input = parse(SetSpotPriceBody, body);
  if (!input) {
    return apiCode(2);
  }
  const order = sim.orders.get(input.order_id);
  if (!order || order.key !== key || !isActive(order) || order.type !== 'spot') {
    return custom('order_dont_exist');
  }
  const min = sim.servers.get(order.serverId)?.spotMin[order.currency] ?? 0;
  if (input.desired_price < min) {
    return custom('amount_too_low');
  }
  sim.tick();
  if (input.desired_price < order.price) {
    const now = Date.now();
    const waitMs =
      order.lastLoweredAt === undefined ? 0 : order.lastLoweredAt + sim.options.limits.spotLowerMs - now;
    if (waitMs > 0) {
      return custom('can_lower_every_600_seconds', { time_to_lowering: Math.ceil(waitMs / 1000) });
    }
    const maxStep = SPOT_MAX_STEP[order.currency];
    if (order.price - input.desired_price > maxStep + 1e-12) {
      return custom('exceeded_max_step', { max_step: maxStep });
    }
    order.lastLoweredAt = now;
  }
  order.price = input.desired_price;
  return ok();
};

/** Every `/v1/<name>` the simulator serves. */
export function endpoints(context: EndpointContext): Record<string, EndpointHandler> {
  return {
    marketplace,
    wallets,
    my_orders: myOrders,
    create_order: createOrderHandler(context),
    cancel_order: cancelOrder,
    cancel_orders: cancelOrders,
    spot_marketplace: spotMarketplace,
    set_spot_price: setSpotPrice,
  };
}

export const ENDPOINT_NAMES = [
  'marketplace',
  'wallets',
  'my_orders',
  'create_order',
  'cancel_order',
  'cancel_orders',
  'spot_marketplace',
  'set_spot_price',
] as const;

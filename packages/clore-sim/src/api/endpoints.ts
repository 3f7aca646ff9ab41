import type { z } from 'zod';
import { CURRENCIES, roundAmount, SPOT_MAX_STEP, USD_RATES } from '../currencies';
import { keyHash } from '../key-hash';
import { marketplaceServerView } from '../market/server-view';
import { isActive, type SimOrder } from '../orders/order';
import { creationFeeOf } from '../provider-settings';
import type { Simulator } from '../simulator';
import { myOrdersAnswer } from './my-orders-answer';
import type { MyOrdersAnswerFault } from './my-orders-outage';
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
  /** A my_orders answer that was made empty or short on purpose (recorded in the call log). */
  answerFault?: MyOrdersAnswerFault;
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

function myOrdersHandler(context: EndpointContext): EndpointHandler {
  return (sim, key, { query }) => {
    sim.tick();
    const answer = myOrdersAnswer(sim, key, query.return_completed === 'true');
    if (answer.fault !== undefined) {
      context.answerFault = answer.fault;
    }
    return ok({ orders: answer.orders });
  };
}

/**
 * `GET /v1/renter_fees` (clore-api.md Part B 11): the creation fees this simulator charges, per
 * order type and currency. The simulator charges no renter fee on top of the price (base 0).
 */
const renterFees: EndpointHandler = (sim) => {
  const perCurrency = (value: (currency: (typeof CURRENCIES)[number]) => number) =>
    Object.fromEntries(CURRENCIES.map((currency) => [currency, value(currency)]));
  const provider = sim.options.provider;
  return ok({
    renter_fees: {
      on_demand: { base: perCurrency(() => 0) },
      spot: { base: perCurrency(() => 0) },
    },
    creation_fees: {
      on_demand: perCurrency((currency) => creationFeeOf(provider, currency, 'on-demand')),
      spot: perCurrency((currency) => creationFeeOf(provider, currency, 'spot')),
    },
    poh_balance: 0,
  });
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
      dockerhubAuth: input.dockerhub_auth,
      autosshEntrypoint: input.autossh_entrypoint === true || input.autossh_entrypoint === 'true',
    });
    if (!outcome.ok) {
      return custom(outcome.error);
    }
    context.createdOrder = outcome.order;
    return sim.options.shape === 'seed' ? ok({ order_id: outcome.order.id }) : ok();
  };
}

/** Cancel another tool's order on this key; undefined when `id` is not one. */
function cancelForeign(sim: Simulator, key: string, id: number): 'cancelled' | 'not_active' | undefined {
  const foreign = sim.foreignOrders.get(id);
  if (foreign === undefined || foreign.keyHash !== keyHash(key)) {
    return undefined;
  }
  if (foreign.cancelledAtSim !== undefined) {
    return 'not_active';
  }
  foreign.cancelledAtSim = sim.clock.now();
  sim.log.warn({ orderId: id }, 'a foreign order was cancelled');
  return 'cancelled';
}

const cancelOrder: EndpointHandler = (sim, key, { body }) => {
  const input = parse(CancelOrderBody, body);
  if (!input) {
    return apiCode(2);
  }
  if ((input.issue ?? '').length > 2048) {
    return custom('issue_description_too_long');
  }
  const foreign = cancelForeign(sim, key, input.id);
  if (foreign !== undefined) {
    return foreign === 'cancelled' ? ok() : custom('order_not_active');
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
    const foreign = cancelForeign(sim, key, id);
    if (foreign !== undefined) {
      if (foreign !== 'cancelled') {
        failed.push(String(id));
      }
      continue;
    }
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
    my_orders: myOrdersHandler(context),
    create_order: createOrderHandler(context),
    cancel_order: cancelOrder,
    cancel_orders: cancelOrders,
    spot_marketplace: spotMarketplace,
    set_spot_price: setSpotPrice,
    renter_fees: renterFees,
  };
}

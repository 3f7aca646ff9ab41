import { type Logger, silentLogger } from '@clore-batch/shared';
import { DEFAULT_LANE, type Endpoint, type Lane } from '../endpoints';
import { hashApiKey } from '../hash-api-key';
import type { CallLimiter } from '../limiter/limiter-types';
import { normaliseOrder, type Order } from '../model/order';
import { normaliseRenterFees, type RenterFees } from '../model/renter-fees';
import { normaliseServer, type Server } from '../model/server';
import { normaliseSpotMarket, type SpotMarket } from '../model/spot-market';
import { normaliseWallet, type Wallet } from '../model/wallet';
import { DEFAULT_PRICE_UNIT, type PriceUnit } from '../money/price-unit';
import { deriveUsdRates, type UsdRates } from '../money/usd-rates';
import { CancelOrdersResponseSchema, CreateOrderResponseSchema } from '../schema/actions';
import { MarketplaceResponseSchema, type RawServer, RawServerSchema } from '../schema/marketplace';
import { MyOrdersResponseSchema, RawOrderSchema } from '../schema/orders';
import { Id } from '../schema/primitives';
import { RenterFeesResponseSchema } from '../schema/renter-fees';
import { SpotMarketplaceResponseSchema } from '../schema/spot-marketplace';
import { WalletsResponseSchema } from '../schema/wallets';
import { type FetchLike, sendRequest } from '../transport/send-request';
import { type CreateOrderOptions, createOrderBody } from './create-order-request';
import { describeIssues, parseResponse } from './parse-response';
import {
  backoffDelayMs,
  isRetryable,
  type RetryOptions,
  type RetryPolicy,
  retryPolicy,
} from './retry-policy';

export interface CloreClientOptions {
  /** e.g. "https://api.clore.ai" (a trailing /v1 is accepted). */
  baseUrl: string;
  apiKey: string;
  /** The HTTP transport (default: global fetch). */
  fetch?: FetchLike;
  logger?: Logger;
  /** The shared rate limiter; without one the client does not pace its calls. */
  limiter?: CallLimiter;
  retry?: RetryOptions;
  /** Per request (default 30 000 ms). */
  timeoutMs?: number;
  /** The unit of the marketplace's `price.usd` figures (default per day; clore-api.md Part A §5). */
  priceUnit?: PriceUnit;
  /** For tests of the backoff maths (defaults: setTimeout, Math.random). */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface CallOptions {
  /** Override the endpoint's default lane. */
  lane?: Lane;
  signal?: AbortSignal;
}

export interface Marketplace {
  servers: Server[];
  /** Servers left out because a field the product needs was missing (logged as a warning). */
  skipped: { index: number; id?: unknown; problems: string[] }[];
  /** Currency→USD rates derived from this marketplace (see deriveUsdRates). */
  usdRates: UsdRates;
}

export interface CreateOrderResult {
  /** Present only when the API sends one (the seeds' shape); else find it with findOrderByServer. */
  orderId?: number;
}

export interface FindOrderByServerOptions {
  serverId: number;
  /**
   * Only orders created at or after this unix time (seconds). An order whose creation time the API
   * did not send still matches: missing our own order would lead to a second one.
   */
  createdAfter?: number;
  /** Orders already owned by another job. */
  excludeOrderIds?: Iterable<number>;
}

export interface UnreadableOrder {
  /** Its position in the `orders` array. */
  index: number;
  /** The order id, when that much was readable. */
  id?: number;
  serverId?: number;
  problems: string[];
}

export interface MyOrdersReport {
  orders: Order[];
  unreadable: UnreadableOrder[];
}

/** What can still be told about an order that did not parse: its id and server id, if readable. */
function unreadableOrder(entry: unknown, index: number, problems: string[]): UnreadableOrder {
  const out: UnreadableOrder = { index, problems };
  if (entry !== null && typeof entry === 'object' && !Array.isArray(entry)) {
    const raw = entry as Record<string, unknown>;
    const id = Id.safeParse(raw.id ?? raw.order_id);
    if (id.success) {
      out.id = id.data;
    }
    const serverId = Id.safeParse(raw.si ?? raw.renting_server);
    if (serverId.success) {
      out.serverId = serverId.data;
    }
  }
  return out;
}

const MAX_CANCEL_IDS = 64;
const MAX_ISSUE_LENGTH = 2048;

interface Request {
  endpoint: Endpoint;
  method: 'GET' | 'POST';
  query?: Record<string, string>;
  body?: unknown;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The typed Clore API client: one method per endpoint, every answer parsed with zod and
 * normalised into one model, errors typed (CloreApiError, CloreTransportError,
 * CloreBadResponseError), pacing through the shared limiter, bounded retries with jittered
 * backoff. Reads no environment; everything comes in through the options.
 */
export class CloreClient {
  readonly keyHash: string;
  private readonly options: CloreClientOptions;
  private readonly fetch: FetchLike;
  private readonly log: Logger;
  private readonly policy: RetryPolicy;
  private readonly unit: PriceUnit;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private warmUp: Promise<void> | undefined;

  constructor(options: CloreClientOptions) {
    this.options = options;
    this.keyHash = hashApiKey(options.apiKey);
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.log = (options.logger ?? silentLogger()).child({ component: 'clore-client', keyHash: this.keyHash });
    this.policy = retryPolicy(options.retry);
    this.unit = options.priceUnit ?? DEFAULT_PRICE_UNIT;
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
  }

  async wallets(call: CallOptions = {}): Promise<Wallet[]> {
    const body = await this.call({ endpoint: 'wallets', method: 'GET' }, call);
    return parseResponse('wallets', WalletsResponseSchema, body).wallets.map(normaliseWallet);
  }

  async marketplace(call: CallOptions = {}): Promise<Marketplace> {
    const body = await this.call({ endpoint: 'marketplace', method: 'GET' }, call);
    const list = parseResponse('marketplace', MarketplaceResponseSchema, body).servers;
    const raws: RawServer[] = [];
    const skipped: Marketplace['skipped'] = [];
    list.forEach((entry, index) => {
      const parsed = RawServerSchema.safeParse(entry);
      if (parsed.success) {
        raws.push(parsed.data);
      } else {
        const id = (entry as { id?: unknown } | null)?.id;
        skipped.push({ index, id, problems: describeIssues(parsed.error, `servers[${index}]`) });
      }
    });
    if (skipped.length > 0) {
      this.log.warn(
        { skipped: skipped.slice(0, 5), count: skipped.length },
        'marketplace: skipped malformed servers',
      );
    }
    const usdRates = deriveUsdRates(raws, this.unit);
    return { servers: raws.map((raw) => normaliseServer(raw, this.unit, usdRates)), skipped, usdRates };
  }

  /**
   * Active orders; with `returnCompleted` also the ended ones. Each order is parsed on its own
   * (Part A §16): one the client cannot read is reported in `unreadable` (with its id and server id
   * when those are readable) and skipped, never fatal. A body without an `orders` array still
   * throws CLORE_BAD_RESPONSE.
   */
  async myOrdersReport(
    options: { returnCompleted?: boolean } = {},
    call: CallOptions = {},
  ): Promise<MyOrdersReport> {
    const query = { return_completed: options.returnCompleted === true ? 'true' : 'false' };
    const body = await this.call({ endpoint: 'my_orders', method: 'GET', query }, call);
    const list = parseResponse('my_orders', MyOrdersResponseSchema, body).orders;
    const orders: Order[] = [];
    const unreadable: UnreadableOrder[] = [];
    list.forEach((entry, index) => {
      const parsed = RawOrderSchema.safeParse(entry);
      if (!parsed.success) {
        unreadable.push(unreadableOrder(entry, index, describeIssues(parsed.error, `orders[${index}]`)));
        return;
      }
      const order = normaliseOrder(parsed.data);
      if ('missing' in order) {
        const problems = order.missing.map((field) => `orders[${index}].${field} missing`);
        unreadable.push(unreadableOrder(entry, index, problems));
      } else {
        orders.push(order);
      }
    });
    if (unreadable.length > 0) {
      // Never hide an order we could not read: it may be one we must cancel.
      this.log.warn(
        { unreadable: unreadable.slice(0, 5), count: unreadable.length },
        'my_orders: unreadable orders skipped',
      );
    }
    return { orders, unreadable };
  }

  /** The readable orders of myOrdersReport (the unreadable ones are logged). */
  async myOrders(options: { returnCompleted?: boolean } = {}, call: CallOptions = {}): Promise<Order[]> {
    return (await this.myOrdersReport(options, call)).orders;
  }

  /** The provider's fees (`GET /v1/renter_fees`); see createFeeBook for a cached reader. */
  async renterFees(call: CallOptions = {}): Promise<RenterFees> {
    const body = await this.call({ endpoint: 'renter_fees', method: 'GET' }, call);
    return normaliseRenterFees(parseResponse('renter_fees', RenterFeesResponseSchema, body));
  }

  /**
   * Rent a server. Never retried by the client once the request may have reached the server:
   * after a lost answer (or code 1) call findOrderByServer before creating again (Part A §3).
   */
  async createOrder(options: CreateOrderOptions, call: CallOptions = {}): Promise<CreateOrderResult> {
    const request = {
      endpoint: 'create_order',
      method: 'POST',
      body: createOrderBody(options),
    } as const;
    const body = await this.call(request, call);
    const parsed = parseResponse('create_order', CreateOrderResponseSchema, body);
    const orderId = parsed.order_id ?? parsed.id;
    return orderId === undefined ? {} : { orderId };
  }

  /** Cancel one order; `issue` reports a problem with the server (cut to 2 048 characters). */
  async cancelOrder(options: { id: number; issue?: string }, call: CallOptions = {}): Promise<void> {
    const body: Record<string, unknown> = { id: options.id };
    if (options.issue !== undefined) {
      body.issue = options.issue.slice(0, MAX_ISSUE_LENGTH);
    }
    await this.call({ endpoint: 'cancel_order', method: 'POST', body }, call);
  }

  /**
   * Cancel many orders, 64 ids per request. Every chunk is tried even when one fails; the ids of a
   * failed chunk are reported as failed, with the chunk's error.
   */
  async cancelOrders(
    options: { ids: readonly number[] },
    call: CallOptions = {},
  ): Promise<{ failedIds: number[]; errors: Error[] }> {
    const failedIds: number[] = [];
    const errors: Error[] = [];
    for (let start = 0; start < options.ids.length; start += MAX_CANCEL_IDS) {
      const chunk = options.ids.slice(start, start + MAX_CANCEL_IDS);
      try {
        const body = await this.call(
          { endpoint: 'cancel_orders', method: 'POST', body: { order_ids: chunk } },
          call,
        );
        failedIds.push(
          ...(parseResponse('cancel_orders', CancelOrdersResponseSchema, body).failed_to_cancel ?? []),
        );
      } catch (error) {
        failedIds.push(...chunk);
        errors.push(error as Error);
      }
    }
    return { failedIds, errors };
  }

  async spotMarketplace(options: { serverId: number }, call: CallOptions = {}): Promise<SpotMarket> {
    const query = { market: String(options.serverId) };
    const body = await this.call({ endpoint: 'spot_marketplace', method: 'GET', query }, call);
    return normaliseSpotMarket(
      options.serverId,
      parseResponse('spot_marketplace', SpotMarketplaceResponseSchema, body),
    );
  }

  /** Change a spot order's bid (per day, in the order's currency). Lowering: once per 600 s. */
  async setSpotPrice(
    options: { orderId: number; desiredPricePerDay: number },
    call: CallOptions = {},
  ): Promise<void> {
    const body = {
      order_id: options.orderId,
      desired_price: options.desiredPricePerDay,
    };
    await this.call({ endpoint: 'set_spot_price', method: 'POST', body }, call);
  }

  /**
   * The look-up primitive of Part A §3: the newest active order on `serverId`, created at or after
   * `createdAfter`, not in `excludeOrderIds`; undefined when there is none (yet).
   */
  async findOrderByServer(
    options: FindOrderByServerOptions,
    call: CallOptions = {},
  ): Promise<Order | undefined> {
    const excluded = new Set(options.excludeOrderIds ?? []);
    const orders = await this.myOrders({}, call);
    const matches = orders.filter(
      (order) =>
        order.serverId === options.serverId &&
        order.active &&
        !excluded.has(order.id) &&
        (options.createdAfter === undefined ||
          order.createdAt === undefined ||
          order.createdAt >= options.createdAfter),
    );
    matches.sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0) || b.id - a.id);
    return matches[0];
  }

  /** One logical call: limiter slot, request, bounded retries. Returns the code-0 body. */
  private async call(request: Request, call: CallOptions): Promise<unknown> {
    const isCreate = request.endpoint === 'create_order';
    const lane = call.lane ?? DEFAULT_LANE[request.endpoint];
    if (this.options.fetch === undefined) {
      // Node loads its fetch implementation on first use (tens of ms): do that before taking a slot,
      // not between the slot and the request, where it would shorten the gap to the call before.
      // A data: URL goes nowhere on the network.
      this.warmUp ??= fetch('data:application/json,{}').then(
        (response) => void response.body?.cancel(),
        () => undefined,
      );
      await this.warmUp;
    }
    for (let attempt = 1; ; attempt += 1) {
      const waitedMs =
        this.options.limiter === undefined
          ? 0
          : (await this.options.limiter.acquire({ lane, isCreate, signal: call.signal })).waitedMs;
      const sentAt = Date.now();
      try {
        const response = await sendRequest({
          fetch: this.fetch,
          baseUrl: this.options.baseUrl,
          apiKey: this.options.apiKey,
          ...request,
          timeoutMs: this.options.timeoutMs ?? 30_000,
          signal: call.signal,
        });
        this.log.debug(
          { endpoint: request.endpoint, lane, attempt, waitedMs, durationMs: Date.now() - sentAt },
          `Clore ${request.endpoint} answered code 0`,
        );
        return response.body;
      } catch (error) {
        if (
          attempt >= this.policy.maxAttempts ||
          !isRetryable(error, isCreate) ||
          call.signal?.aborted === true
        ) {
          throw error;
        }
        const delayMs = backoffDelayMs(this.policy, attempt, this.random);
        const code = (error as { code?: string }).code;
        this.log.warn(
          { endpoint: request.endpoint, attempt, maxAttempts: this.policy.maxAttempts, code, delayMs },
          `Clore ${request.endpoint} failed (${code}), attempt ${attempt} of ${this.policy.maxAttempts}; retrying`,
        );
        if (code === 'CLORE_RATE_LIMITED' && this.options.limiter !== undefined) {
          // Everyone sharing the key backs off, not only this caller; acquire() then waits it out.
          await this.options.limiter.penalize(delayMs);
        } else {
          await this.sleep(delayMs);
        }
      }
    }
  }
}

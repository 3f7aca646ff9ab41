import { type Balances, type Currency, toUsd } from '../currencies';
import type { SimServer } from '../market/server';
import { creationFeeOf, type ResolvedProviderSettings } from '../provider-settings';
import { isActive, type OrderType, type SimOrder } from './order';

export interface CreateRequest {
  serverId: number;
  type: OrderType;
  currency: Currency;
  spotPrice: number | undefined;
  /** The per-day price the renter expects (Part A 14); a higher booked price is refused. */
  requiredPrice?: number | undefined;
}

export type CreateCheck =
  | { ok: true; price: number; creationFee: number; outbids: SimOrder | undefined }
  | { ok: false; error: string };

/**
 * OUR ASSUMPTION (docs/decisions/0106): the code-6 error string of a create whose `required_price`
 * is below the price the order would be booked at. The real string is not public.
 */
export const REQUIRED_PRICE_ERROR = 'price_above_required_price';

/**
 * The checks create_order makes before an order exists, in this order: server exists, not on
 * GigaSPOT, online, not the caller's own, currency allowed, no second spot order of the caller on
 * this server, not rented, spot bid high enough, the booked price not above `required_price`,
 * balance covers the creation fee (the fee model of `provider`). A spot bid that beats another
 * key's running spot order (in USD) outbids it.
 */
export function checkCreate(
  request: CreateRequest,
  server: SimServer | undefined,
  context: {
    key: string;
    ownServers: number[];
    balances: Balances;
    activeOnServer: SimOrder[];
    provider: Pick<ResolvedProviderSettings, 'creationFeeUsd' | 'enforceRequiredPrice'>;
  },
): CreateCheck {
  if (!server) {
    return { ok: false, error: 'server-dont-exist' };
  }
  if (server.gigaspot) {
    return { ok: false, error: 'machine-is-on-gigaspot' };
  }
  if (!server.online) {
    return { ok: false, error: 'server-offline' };
  }
  if (context.ownServers.includes(server.id)) {
    return { ok: false, error: 'cant_rent_from_yourself' };
  }
  const listPrice = server.onDemand[request.currency];
  const minSpot = server.spotMin[request.currency];
  if (!server.allowedCoins.includes(request.currency) || listPrice === undefined || minSpot === undefined) {
    return { ok: false, error: 'currency-not-allowed' };
  }
  const active = context.activeOnServer.filter(isActive);
  let outbids: SimOrder | undefined;
  if (request.type === 'spot') {
    if (active.some((o) => o.type === 'spot' && o.key === context.key)) {
      return { ok: false, error: 'you_already_have_spot_order' };
    }
    if (server.rentedExternally || active.some((o) => o.type === 'on-demand')) {
      return { ok: false, error: 'server-already-rented' };
    }
    const bid = request.spotPrice ?? 0;
    if (bid < minSpot) {
      return { ok: false, error: 'too_low_price' };
    }
    const running = active.find((o) => o.type === 'spot');
    if (running) {
      if (toUsd(bid, request.currency) <= toUsd(running.price, running.currency)) {
        return { ok: false, error: 'too_low_price' };
      }
      outbids = running;
    }
  } else if (server.rentedExternally || active.length > 0) {
    return { ok: false, error: 'server-already-rented' };
  }
  const price = request.type === 'spot' ? (request.spotPrice ?? minSpot) : listPrice;
  if (
    context.provider.enforceRequiredPrice &&
    request.requiredPrice !== undefined &&
    request.requiredPrice < price * (1 - 1e-9)
  ) {
    return { ok: false, error: REQUIRED_PRICE_ERROR };
  }
  const creationFee = creationFeeOf(context.provider, request.currency, request.type);
  if (context.balances[request.currency] <= creationFee) {
    return { ok: false, error: 'not_enough_balance' };
  }
  return { ok: true, price, creationFee, outbids };
}

import { type Balances, type Currency, toUsd } from '../currencies';
import type { SimServer } from '../market/server';
import { isActive, type OrderType, type SimOrder } from './order';

export interface CreateRequest {
  serverId: number;
  type: OrderType;
  currency: Currency;
  spotPrice: number | undefined;
}

export type CreateCheck =
  | { ok: true; price: number; creationFee: number; outbids: SimOrder | undefined }
  | { ok: false; error: string };

/** Share of one day's price charged once at creation. */
export const CREATION_FEE_SHARE = 0.005;

/**
 * The checks create_order makes before an order exists, in this order: server exists, not on
 * GigaSPOT, online, not the caller's own, currency allowed, no second spot order of the caller on
 * this server, not rented, spot bid high enough, balance covers the creation fee. A spot bid that
 * beats another key's running spot order (in USD) outbids it.
 */
export function checkCreate(
  request: CreateRequest,
  server: SimServer | undefined,
  context: { key: string; ownServers: number[]; balances: Balances; activeOnServer: SimOrder[] },
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
  const creationFee = Number((price * CREATION_FEE_SHARE).toFixed(10));
  if (context.balances[request.currency] <= creationFee) {
    return { ok: false, error: 'not_enough_balance' };
  }
  return { ok: true, price, creationFee, outbids };
}

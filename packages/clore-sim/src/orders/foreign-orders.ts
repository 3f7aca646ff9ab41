import { z } from 'zod';
import { CURRENCIES, type Currency, USD_RATES } from '../currencies';
import { keyHash } from '../key-hash';

/**
 * Orders of ANOTHER tool on the same API key (Part A 16): `my_orders` lists every order of the key,
 * and such an order may carry `null` or unexpected fields. They are only shown (in the real shape),
 * never billed against the key's balance and never given an sshd; cancelling one works like the
 * real API (so a test can tell whether a worker touched an order that is not its own).
 */
export const ForeignOrderSpecSchema = z.strictObject({
  /** How many such orders to add (default 1). */
  count: z.number().int().min(1).max(50).optional(),
  serverId: z.number().int().min(0).optional(),
  currency: z.enum(CURRENCIES).optional(),
  /** Per-day price in `currency` (default 5). */
  price: z.number().min(0).optional(),
  /**
   * Fields sent as `null`: names (any field, the required `id`, `si`, `currency`, `price` too), or
   * `"optional"` for every field but those four.
   */
  nullFields: z.union([z.array(z.string()), z.literal('optional')]).optional(),
  /** Fields added or replaced as given (e.g. `{"spend": "lots"}` for a value of the wrong type). */
  fields: z.record(z.string(), z.unknown()).optional(),
});

export type ForeignOrderSpec = z.infer<typeof ForeignOrderSpecSchema>;

const REQUIRED = new Set(['id', 'si', 'currency', 'price']);

export interface ForeignOrder {
  id: number;
  keyHash: string;
  serverId: number;
  currency: Currency;
  price: number;
  createdAtSim: number;
  nullFields: string[] | 'optional';
  fields: Record<string, unknown>;
  /** Sim ms when a cancel reached it (through /v1/cancel_order or cancel_orders). */
  cancelledAtSim: number | undefined;
}

const DAY_MS = 86_400_000;
const FIRST_ID = 9_000_000;

export class ForeignOrders {
  private readonly orders = new Map<number, ForeignOrder>();
  private nextId = FIRST_ID;

  add(key: string, spec: ForeignOrderSpec, simNow: number): ForeignOrder[] {
    const added: ForeignOrder[] = [];
    for (let n = 0; n < (spec.count ?? 1); n += 1) {
      const id = this.nextId;
      this.nextId += 1;
      const order: ForeignOrder = {
        id,
        keyHash: keyHash(key),
        serverId: spec.serverId ?? 990_000 + (id % 10_000),
        currency: spec.currency ?? 'USD-Blockchain',
        price: spec.price ?? 5,
        createdAtSim: simNow - 3_600_000,
        nullFields: spec.nullFields ?? [],
        fields: { ...spec.fields },
        cancelledAtSim: undefined,
      };
      this.orders.set(id, order);
      added.push(order);
    }
    return added;
  }

  get(id: number): ForeignOrder | undefined {
    return this.orders.get(id);
  }

  list(): ForeignOrder[] {
    return [...this.orders.values()];
  }

  clear(key?: string): void {
    if (key === undefined) {
      this.orders.clear();
      return;
    }
    const hash = keyHash(key);
    for (const [id, order] of this.orders) {
      if (order.keyHash === hash) {
        this.orders.delete(id);
      }
    }
  }

  /** The key's foreign orders as my_orders shows them (the ended ones only with `completed`). */
  viewsFor(key: string, completed: boolean, simNow: number): Record<string, unknown>[] {
    const hash = keyHash(key);
    return this.list()
      .filter((o) => o.keyHash === hash && (completed || o.cancelledAtSim === undefined))
      .map((o) => foreignView(o, simNow));
  }
}

/** A realistic real-shape order, then `fields` applied, then `nullFields` set to null. */
export function foreignView(order: ForeignOrder, simNow: number): Record<string, unknown> {
  const ended = order.cancelledAtSim !== undefined;
  const until = order.cancelledAtSim ?? simNow;
  const view: Record<string, unknown> = {
    id: order.id,
    si: order.serverId,
    currency: order.currency,
    price: order.price,
    creation_fee: Number((0.1 / USD_RATES[order.currency]).toFixed(10)),
    fee: order.currency === 'USD-Blockchain' ? null : 0,
    spend: Number(((order.price * Math.max(0, until - order.createdAtSim)) / DAY_MS).toFixed(10)),
    ct: Math.floor(order.createdAtSim / 1000),
    order_end: Math.floor((order.createdAtSim + 72 * 3_600_000) / 1000),
    mrl: 72,
    image: 'another-tool/worker:latest',
    specs: { gpu: '1x NVIDIA GeForce RTX 3090', gpuram: 24 },
    http_port: '',
    http_pub: '',
    online: true,
    mon_container: 2,
    auto_login: '',
    spot: false,
    expired: ended,
    owner: 4,
    reliability: 0.98,
    rating: { avg: 4.8, cnt: 12 },
    cuda_version: '12.4',
    gpu_array: ['NVIDIA GeForce RTX 3090'],
    gpu_count: 1,
    total_gpus: 1,
    ...(ended
      ? { tcp_ports: [] }
      : { pub_cluster: ['n1.foreign.clore-sim.invalid'], tcp_ports: ['22:40022'] }),
    ...order.fields,
  };
  const nulls =
    order.nullFields === 'optional' ? Object.keys(view).filter((f) => !REQUIRED.has(f)) : order.nullFields;
  for (const field of nulls) {
    view[field] = null;
  }
  return view;
}

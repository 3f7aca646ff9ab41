import { z } from 'zod';
import { OrderSchema, ServerSchema, UsdRatesSchema } from './provider-model';

/**
 * The JSON records the fleet (the worker's leader and every job's attempt) stores in Redis, under
 * fleetKeys, and the dashboard reads: one schema each, the only shape writer and readers agree on.
 * Read them with read-fleet-record.ts, never `JSON.parse(raw) as T`. Times called "Redis time" are
 * Redis `TIME` in ms (the clock every cross-process comparison uses, docs/decisions/0111).
 */

/**
 * An order we knew (listed active before, or with a cancel of ours pending) that the latest
 * answer(s) did not list, or listed unreadably, and that is NOT proven ended (clore-api.md Part A 7,
 * 16; docs/decisions/0110). It is kept with its last known figures until evidence comes.
 */
export const MissingOrderSchema = z.object({
  id: z.number(),
  /** Last known figures; undefined for an order no snapshot ever listed (a pending cancel's). */
  order: OrderSchema.optional(),
  /** Redis time (ms) of the first answer that missed it (this stretch). */
  sinceMs: z.number(),
  /** Consecutive answers without it whose call began after our cancel for it was accepted. */
  missesAfterCancel: z.number(),
  /** Consecutive answers without it (readable or not). */
  misses: z.number(),
  /** The latest answer listed it but it could not be read. */
  unreadable: z.boolean().optional(),
});

export type MissingOrder = z.infer<typeof MissingOrderSchema>;

/** fleetKeys.ordersSnapshot: the leader's latest my_orders answer, as every process reads it. */
export const OrdersSnapshotSchema = z.object({
  /**
   * Grows with every answer the leader stores and never restarts: `max(previous + 1, startedAt)`,
   * so a snapshot written after Redis lost or rolled back its data is still newer than any a waiter
   * saw (docs/decisions/0113). Never assume steps of one.
   */
  version: z.number(),
  /** When my_orders answered (ms since epoch, the leader's clock; for display). */
  at: z.number(),
  /**
   * Redis server time (ms) taken just before the my_orders request was sent. Undefined only in
   * snapshots written by an older leader.
   */
  startedAt: z.number().optional(),
  /** Redis time (ms) taken right after the answer came. */
  answeredAt: z.number().optional(),
  /** The API key's active orders, as this answer listed them (readable ones only). */
  orders: z.array(OrderSchema),
  /** Known orders absent from (or unreadable in) the latest answer, not proven ended. */
  missing: z.array(MissingOrderSchema).optional(),
  /**
   * Order id → Redis time of the answer that FIRST listed it (`answeredAt`), for every order in
   * `orders` and `missing`. Matching an intent to an order uses this, never the provider's `ct`
   * nor a worker clock (docs/decisions/0111).
   */
  firstSeenAt: z.record(z.string(), z.number()).optional(),
  /**
   * For each order in `orders`/`missing`: the Redis time when the last stored answer that did NOT
   * list it began (the previous snapshot's `startedAt` when it was first listed). The order was made
   * after that; an answer that never came (my_orders failing) does not move it.
   */
  absentBefore: z.record(z.string(), z.number()).optional(),
  /** Orders proven ended (seen expired, or absent after our accepted cancel), newest last, with the final figures known. */
  ended: z.array(OrderSchema),
  /** Orders proven ended whose figures are unknown (a cancel of ours was answered `order_not_active`). */
  endedIds: z.array(z.number()).optional(),
  /** Orders ended on the evidence of our own cancel (not seen expired): one listed active again is re-cancelled. */
  endedByCancel: z.array(z.number()).optional(),
  /**
   * The longest the leader will wait from this poll's start to the next one (docs/decisions/0055:
   * fast while someone waits urgently, slower otherwise). Undefined in snapshots of an older leader
   * (which polled every ORDER_POLL_INTERVAL_MS).
   */
  nextPollInMs: z.number().optional(),
});

export type OrdersSnapshot = z.infer<typeof OrdersSnapshotSchema>;

/** fleetKeys.marketplace: the leader's latest marketplace answer. */
export const MarketplaceSnapshotSchema = z.object({
  at: z.number(),
  servers: z.array(ServerSchema),
  usdRates: UsdRatesSchema,
});

export type MarketplaceSnapshot = z.infer<typeof MarketplaceSnapshotSchema>;

/**
 * fleetKeys.intents field `<jobId>:<attempt>:<serverId>`: written BEFORE create_order on a server,
 * so the reaper can tell our orphans from someone else's orders. One per (job, attempt, server): an
 * attempt that tries several servers keeps one intent per server it tried, because a create whose
 * answer was lost may have made an order on any of them (docs/decisions/0054).
 */
export const OrderIntentSchema = z.object({
  jobId: z.string(),
  attempt: z.number(),
  serverId: z.number(),
  /** When the intent was written: Redis time (ms), taken by `record` (docs/decisions/0111). */
  at: z.number(),
  /**
   * Redis time (ms) when the latest create_order try on this server returned or failed. An unbound
   * intent explains only an order first seen within `intentMatchWindowMs` after it (unset: the
   * create is still in flight, or its worker died in it).
   */
  settledAt: z.number().optional(),
  /** Set once the order is known. */
  orderId: z.number().optional(),
  /** When bindOrder ran (Redis time, ms); set by bindOrder. */
  boundAt: z.number().optional(),
});

export type OrderIntent = z.infer<typeof OrderIntentSchema>;

/** fleetKeys.orphans entry (by order id): an order of ours whose attempt is not live (docs/decisions/0049). */
export const OrphanRecordSchema = z.object({
  orderId: z.number(),
  serverId: z.number(),
  /** '' for an order no intent explains (exclusive-key mode, docs/decisions/0112). */
  jobId: z.string(),
  attempt: z.number(),
  /** Redis time when the attempt was first seen not live (this continuous stretch). */
  firstSeen: z.number(),
  /** Redis time of the answer that first listed the order (when the snapshot knew it): its bill runs from about then. */
  orderFirstSeen: z.number().optional(),
  lastSeen: z.number(),
  reapedAt: z.number().optional(),
  endedAt: z.number().optional(),
});

export type OrphanRecord = z.infer<typeof OrphanRecordSchema>;

/**
 * When the reaper may cancel an orphan: once it has not been live for longer than the grace,
 * counted from `firstSeen` (it cancels at the first sweep with `now > orphanReapableAt(...)`).
 */
export function orphanReapableAt(record: Pick<OrphanRecord, 'firstSeen'>, graceMs: number): number {
  return record.firstSeen + graceMs;
}

/** fleetKeys.foreignOrders entry (by order id): an active order no intent explains; never cancelled. */
export const ForeignOrderRecordSchema = z.object({
  orderId: z.number(),
  serverId: z.number(),
  firstSeen: z.number(),
});

export type ForeignOrderRecord = z.infer<typeof ForeignOrderRecordSchema>;

/** fleetKeys.cancelInfo entry (by order id): what the fleet remembers about one pending cancel. */
export const CancelInfoSchema = z.object({
  orderId: z.number(),
  jobId: z.string().optional(),
  reason: z.string(),
  /** Redis time (fleetNow) of the first request: the order was known to exist then. */
  requestedAt: z.number(),
  /** cancel_orders calls that included this order so far. */
  sends: z.number(),
  lastSentAt: z.number().optional(),
  /**
   * Redis time of the answer by which the provider accepted our cancel (cancel_orders without it in
   * `failed_to_cancel`, or cancel_order OK). Answers without the order whose calls began after it
   * count toward proof of its end (docs/decisions/0110).
   */
  acceptedAt: z.number().optional(),
  /** Redis time when a cancel answer proved the order ended (`order_not_active`, `you_dont_own_this_order`). */
  provenEndedAt: z.number().optional(),
  /** The provider's answer that proved it. */
  provenBy: z.string().optional(),
});

export type CancelInfo = z.infer<typeof CancelInfoSchema>;

/** Every fleet record by name: the reader's and the writer's argument. */
export const FLEET_RECORDS = {
  ordersSnapshot: OrdersSnapshotSchema,
  marketplace: MarketplaceSnapshotSchema,
  intent: OrderIntentSchema,
  orphan: OrphanRecordSchema,
  foreignOrder: ForeignOrderRecordSchema,
  cancelInfo: CancelInfoSchema,
} as const;

export type FleetRecordName = keyof typeof FLEET_RECORDS;
export type FleetRecord<N extends FleetRecordName> = z.infer<(typeof FLEET_RECORDS)[N]>;

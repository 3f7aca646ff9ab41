import type { Order, Server, UsdRates } from '@clore-batch/clore';

/**
 * The contract between the deployment-wide fleet services (one leader, elected in Redis, talks to
 * Clore for everyone: my_orders, marketplace, cancels, the reaper) and the per-job lifecycle (any
 * worker process). Job handlers never poll Clore themselves: they read these views.
 */

/**
 * An order we knew (listed active before, or with a cancel of ours pending) that the latest
 * answer(s) did not list, or listed unreadably, and that is NOT proven ended (clore-api.md Part A 7,
 * 16; docs/decisions/0110). It is kept with its last known figures until evidence comes.
 */
export interface MissingOrder {
  id: number;
  /** Last known figures; undefined for an order no snapshot ever listed (a pending cancel's). */
  order?: Order;
  /** Redis time (ms) of the first answer that missed it (this stretch). */
  sinceMs: number;
  /** Consecutive answers without it whose call began after our cancel for it was accepted. */
  missesAfterCancel: number;
  /** Consecutive answers without it (readable or not). */
  misses: number;
  /** The latest answer listed it but it could not be read. */
  unreadable?: boolean;
}

export interface OrdersSnapshot {
  /**
   * Grows with every answer the leader stores and never restarts: `max(previous + 1, startedAt)`,
   * so a snapshot written after Redis lost or rolled back its data is still newer than any a waiter
   * saw (docs/decisions/0113). Never assume steps of one.
   */
  version: number;
  /** When my_orders answered (ms since epoch, the leader's clock; for display). */
  at: number;
  /**
   * Redis server time (ms) taken just before the my_orders request was sent. Undefined only in
   * snapshots written by an older leader.
   */
  startedAt?: number;
  /** Redis time (ms) taken right after the answer came. */
  answeredAt?: number;
  /** The API key's active orders, as this answer listed them (readable ones only). */
  orders: Order[];
  /** Known orders absent from (or unreadable in) the latest answer, not proven ended. */
  missing?: MissingOrder[];
  /**
   * Order id → Redis time of the answer that FIRST listed it (`answeredAt`), for every order in
   * `orders` and `missing`. Matching an intent to an order uses this, never the provider's `ct`
   * nor a worker clock (docs/decisions/0111).
   */
  firstSeenAt?: Record<string, number>;
  /**
   * For each order in `orders`/`missing`: the Redis time when the last stored answer that did NOT
   * list it began (the previous snapshot's `startedAt` when it was first listed). The order was made
   * after that; an answer that never came (my_orders failing) does not move it.
   */
  absentBefore?: Record<string, number>;
  /** Orders proven ended (seen expired, or absent after our accepted cancel), newest last, with the final figures known. */
  ended: Order[];
  /** Orders proven ended whose figures are unknown (a cancel of ours was answered `order_not_active`). */
  endedIds?: number[];
  /** Orders ended on the evidence of our own cancel (not seen expired): one listed active again is re-cancelled. */
  endedByCancel?: number[];
  /**
   * The longest the leader will wait from this poll's start to the next one (docs/decisions/0055:
   * fast while someone waits urgently, slower otherwise). Undefined in snapshots of an older leader
   * (which polled every ORDER_POLL_INTERVAL_MS).
   */
  nextPollInMs?: number;
}

/** How a waiter needs the next snapshot: `urgent` (default) keeps polls fast; `background` allows the idle cadence. */
export interface OrderWaitOptions {
  signal?: AbortSignal | undefined;
  urgency?: 'urgent' | 'background';
}

export interface OrderBook {
  /** The latest snapshot, or undefined before the leader's first poll. */
  current(): Promise<OrdersSnapshot | undefined>;
  /**
   * The first snapshot with `version > afterVersion` (waits for the leader's next poll). While it
   * waits, the process registers poll demand of the given urgency (default `urgent`), which sets
   * how soon the leader polls (docs/decisions/0055). A bare signal is accepted as before.
   */
  next(afterVersion: number, options?: AbortSignal | OrderWaitOptions): Promise<OrdersSnapshot>;
  /** Ask the leader to poll as soon as the limiter allows (e.g. right after a create_order). */
  requestPoll(): Promise<void>;
}

export interface MarketplaceSnapshot {
  at: number;
  servers: Server[];
  usdRates: UsdRates;
}

export interface MarketplaceView {
  /** The latest marketplace snapshot; waits for the first one. */
  get(signal?: AbortSignal): Promise<MarketplaceSnapshot>;
  /** Ask the leader to refresh soon (e.g. after `server-already-rented`). */
  requestRefresh(): Promise<void>;
}

export interface ServerClaims {
  /** Claim a server for one job for `ttlMs` so that jobs do not race for it; false if taken. */
  claim(serverId: number, jobId: string, ttlMs: number): Promise<boolean>;
  /** Release a claim this job holds (a no-op otherwise). */
  release(serverId: number, jobId: string): Promise<void>;
}

/**
 * Written BEFORE create_order on a server, so the reaper can tell our orphans from someone else's
 * orders. One per (job, attempt, server): an attempt that tries several servers keeps one intent
 * per server it tried, because a create whose answer was lost may have made an order on any of them
 * (docs/decisions/0054).
 */
export interface OrderIntent {
  jobId: string;
  attempt: number;
  serverId: number;
  /** When the intent was written: Redis time (ms), taken by `record` (docs/decisions/0111). */
  at: number;
  /**
   * Redis time (ms) when the latest create_order try on this server returned or failed. An unbound
   * intent explains only an order first seen within `intentMatchWindowMs` after it (unset: the
   * create is still in flight, or its worker died in it).
   */
  settledAt?: number;
  /** Set once the order is known. */
  orderId?: number;
  /** When bindOrder ran (Redis time, ms); set by bindOrder. */
  boundAt?: number;
}

/** What a caller gives `Intents.record`; the time is taken from Redis. */
export interface NewIntent {
  jobId: string;
  attempt: number;
  serverId: number;
  /** Ignored (older callers passed a local time): the intent is stamped with Redis time. */
  at?: number;
}

export interface Intents {
  /**
   * Write the intent for (jobId, attempt, serverId), stamped with Redis time; never replaces one
   * already written for it. Returns the intent as stored (an earlier one keeps its time).
   */
  record(intent: NewIntent): Promise<OrderIntent>;
  /**
   * A create_order try on that server returned or failed: stamp `settledAt` (Redis time), which
   * bounds the orders the unbound intent can explain (docs/decisions/0111). No-op without an intent.
   */
  settle(jobId: string, attempt: number, serverId: number): Promise<void>;
  /** Bind the intent of that server in that attempt to its order (writing one if it is missing). */
  bindOrder(jobId: string, attempt: number, serverId: number, orderId: number): Promise<void>;
  /**
   * Forget an intent ONLY once no order can exist for it: its order has ended, or the create on
   * that server was refused in a way that guarantees nothing was made. Without `serverId`: every
   * server of the attempt.
   */
  remove(jobId: string, attempt: number, serverId?: number): Promise<void>;
  list(): Promise<OrderIntent[]>;
}

export interface Releases {
  /**
   * Persistently ask for an order to be cancelled. The leader sends due cancels first (priority
   * lane), several at once in one cancel_orders call, and retries until the watcher sees it ended.
   */
  request(orderId: number, context: { jobId?: string; reason: string }): Promise<void>;
  /**
   * Resolves with the order's last known state once the watcher has evidence it ended (seen
   * expired, or absent after our accepted cancel; docs/decisions/0110). Absence alone never ends it.
   */
  waitEnded(orderId: number, signal?: AbortSignal): Promise<Order | undefined>;
}

/**
 * Answers the reaper's question: does a live job attempt still own this intent (and this order,
 * when one is known)? `orderId` is undefined when the reaper asks about an intent with no order.
 * An implementation that throws counts as "live" (the reaper never cancels on a doubt).
 */
export type AttemptLiveness = (jobId: string, attempt: number, orderId?: number) => Promise<boolean>;

import type { Order, Server, UsdRates } from '@clore-batch/clore';

/**
 * The contract between the deployment-wide fleet services (one leader, elected in Redis, talks to
 * Clore for everyone: my_orders, marketplace, cancels, the reaper) and the per-job lifecycle (any
 * worker process). Job handlers never poll Clore themselves: they read these views.
 */

export interface OrdersSnapshot {
  /** Increases by one with every my_orders answer the leader stores. */
  version: number;
  /** When my_orders answered (ms since epoch). */
  at: number;
  /**
   * Redis server time (ms) taken just before the my_orders request was sent. An order known to
   * exist before this moment (on the same clock: `fleetNow(redis)`) and absent from `orders` has
   * ended. Undefined only in snapshots written by an older leader.
   */
  startedAt?: number;
  /** The API key's active orders. */
  orders: Order[];
  /** Orders that ended recently (seen expired or gone), newest last, with the final figures known. */
  ended: Order[];
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
  /** When the intent was written (ms since epoch). */
  at: number;
  /** Set once the order is known. */
  orderId?: number;
  /** When bindOrder ran (ms since epoch, the binding process's clock); set by bindOrder. */
  boundAt?: number;
}

export interface Intents {
  /** Write the intent for (jobId, attempt, serverId); never replaces one already written for it. */
  record(intent: OrderIntent): Promise<void>;
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
  /** Resolves with the order's last known state once the watcher sees it ended. */
  waitEnded(orderId: number, signal?: AbortSignal): Promise<Order | undefined>;
}

/**
 * Answers the reaper's question: does a live job attempt still own this intent (and this order,
 * when one is known)? `orderId` is undefined when the reaper asks about an intent with no order.
 * An implementation that throws counts as "live" (the reaper never cancels on a doubt).
 */
export type AttemptLiveness = (jobId: string, attempt: number, orderId?: number) => Promise<boolean>;

import type { Order } from '@clore-batch/clore';
import type { MarketplaceSnapshot, OrderIntent, OrdersSnapshot } from '@clore-batch/shared';

/**
 * The contract between the deployment-wide fleet services (one leader, elected in Redis, talks to
 * Clore for everyone: my_orders, marketplace, cancels, the reaper) and the per-job lifecycle (any
 * worker process). Job handlers never poll Clore themselves: they read these views.
 */

/**
 * The records the fleet stores in Redis (the orders and marketplace snapshots, intents) are zod
 * schemas in @clore-batch/shared (fleet/fleet-records.ts), read with its one reader.
 */
export type { MarketplaceSnapshot, MissingOrder, OrderIntent, OrdersSnapshot } from '@clore-batch/shared';

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

import { type KeyEntry, keyTable } from '../keys/key-entry';

/**
 * Redis keys of the fleet services (the worker's leader writes them; the API and the dashboard read
 * some). One place, so a reader never guesses a writer's key.
 */
export function fleetKeys(prefix: string) {
  const base = `${prefix}:fleet`;
  return {
    /** STRING, the leader lease: `SET NX PX`, value = the holder's id. */
    leader: `${base}:leader`,
    /**
     * STRING, JSON OrdersSnapshot (fleet-records.ts) `{ version, at, startedAt, answeredAt, orders,
     * missing, firstSeenAt, absentBefore, ended, endedIds, endedByCancel, nextPollInMs }`. `version`
     * never restarts (an epoch: max(previous + 1, startedAt)); an order in `missing` is NOT ended
     * (docs/decisions/0110).
     */
    ordersSnapshot: `${base}:orders`,
    /** Pub/sub channel: a new orders snapshot was stored (message = its version). */
    ordersChanged: `${base}:orders:changed`,
    /** STRING, JSON MarketplaceSnapshot (fleet-records.ts) `{ at, servers, usdRates }`. */
    marketplace: `${base}:marketplace`,
    /**
     * HASH `<jobId>:<attempt>:<serverId>` → JSON OrderIntent (fleet-records.ts) `{ jobId, attempt,
     * serverId, at, settledAt?, orderId?, boundAt? }` (Redis times), written before create_order.
     */
    intents: `${base}:intents`,
    /** ZSET of order ids to cancel, scored by when the next try is due (ms). */
    cancels: `${base}:cancels`,
    /** HASH order id → JSON ForeignOrderRecord `{ orderId, serverId, firstSeen }` of active orders no intent explains. */
    foreignOrders: `${base}:foreign`,
    /**
     * HASH order id → JSON OrphanRecord `{ orderId, serverId, jobId, attempt, firstSeen,
     * orderFirstSeen?, lastSeen, reapedAt?, endedAt? }` of our orphans.
     */
    orphans: `${base}:orphans`,
    /** Pub/sub channel: someone asked the leader for an early my_orders poll. */
    pollRequests: `${base}:orders:poll`,
    /** Pub/sub channel: a new marketplace snapshot was stored (message = its `at`). */
    marketplaceChanged: `${base}:marketplace:changed`,
    /** Pub/sub channel: someone asked the leader for an early marketplace refresh. */
    marketplaceRequests: `${base}:marketplace:refresh`,
    /**
     * HASH order id → JSON CancelInfo `{ orderId, jobId?, reason, requestedAt, sends, lastSentAt?,
     * acceptedAt?, provenEndedAt?, provenBy? }` of pending cancels.
     */
    cancelInfo: `${base}:cancels:info`,
    /** Pub/sub channel: a cancel was requested (message = the order id). */
    cancelRequests: `${base}:cancels:requested`,
    /** `claim:<serverId>` = the job id holding the server (`refused:<jobId>` after a refusal), with a TTL. */
    claim: (serverId: number) => `${base}:claim:${serverId}`,
    /** How soon waiters need the next orders snapshot (the worker's poll-demand.ts, docs/decisions/0055). */
    demand: {
      /** Sorted set: member = a process (fleet id), score = Redis time (ms) its urgent demand expires. */
      urgent: `${base}:orders:demand:urgent`,
      /** The same for background demand. */
      background: `${base}:orders:demand:background`,
      /** Pub/sub channel: a kind of demand appeared where there was none (message = the kind). */
      changed: `${base}:orders:demand:changed`,
    },
  };
}

export type FleetKeys = ReturnType<typeof fleetKeys>;

/** The registry lines of the fleet's keys (builders above; see keys/key-entry.ts). */
export const FLEET_KEY_ENTRIES: readonly KeyEntry[] = keyTable(`
  fleet:leader                   | string  | the leader lease: the holder's id (PX)
  fleet:orders                   | string  | JSON OrdersSnapshot (fleet-records.ts)
  fleet:orders:changed           | channel | a new orders snapshot (its version)
  fleet:orders:poll              | channel | a request for an early my_orders poll
  fleet:orders:demand:urgent     | zset    | fleet id → when its urgent demand expires
  fleet:orders:demand:background | zset    | fleet id → when its background demand expires
  fleet:orders:demand:changed    | channel | a kind of demand appeared
  fleet:marketplace              | string  | JSON MarketplaceSnapshot (fleet-records.ts)
  fleet:marketplace:changed      | channel | a new marketplace snapshot (its at)
  fleet:marketplace:refresh      | channel | a request for an early marketplace refresh
  fleet:intents                  | hash    | <jobId>:<attempt>:<serverId> → JSON OrderIntent
  fleet:cancels                  | zset    | order id → when its next cancel try is due (ms)
  fleet:cancels:info             | hash    | order id → JSON CancelInfo
  fleet:cancels:requested        | channel | a cancel was requested (the order id)
  fleet:foreign                  | hash    | order id → JSON ForeignOrderRecord
  fleet:orphans                  | hash    | order id → JSON OrphanRecord
  fleet:claim:<int>              | string  | the job id claiming a server (TTL)
`);

/**
 * Redis keys of the fleet services (the worker's leader writes them; the API and the dashboard read
 * some). One place, so a reader never guesses a writer's key.
 */
export function fleetKeys(prefix: string) {
  const base = `${prefix}:fleet`;
  return {
    /** The leader lease: `SET NX PX`, value = the holder's id. */
    leader: `${base}:leader`,
    /**
     * JSON OrdersSnapshot `{ version, at, startedAt, answeredAt, orders, missing, firstSeenAt, ended,
     * endedIds, nextPollInMs }` (the worker's fleet-types.ts). `version` never restarts (an epoch:
     * max(previous + 1, startedAt)); an order in `missing` is NOT ended (docs/decisions/0110).
     */
    ordersSnapshot: `${base}:orders`,
    /** Pub/sub channel: a new orders snapshot was stored (message = its version). */
    ordersChanged: `${base}:orders:changed`,
    /** JSON MarketplaceSnapshot `{ at, servers, usdRates }`. */
    marketplace: `${base}:marketplace`,
    /**
     * Hash `<jobId>:<attempt>:<serverId>` → JSON OrderIntent `{ jobId, attempt, serverId, at, settledAt?,
     * orderId?, boundAt? }` (Redis times), written before create_order.
     */
    intents: `${base}:intents`,
    /** Sorted set of order ids to cancel, scored by when the next try is due (ms). */
    cancels: `${base}:cancels`,
    /** Hash order id → JSON `{ orderId, serverId, firstSeen }` of active orders no intent explains. */
    foreignOrders: `${base}:foreign`,
    /** Hash order id → JSON `{ orderId, jobId, attempt, firstSeen, reapedAt? }` of our orphans. */
    orphans: `${base}:orphans`,
    /** Pub/sub channel: someone asked the leader for an early my_orders poll. */
    pollRequests: `${base}:orders:poll`,
    /** Pub/sub channel: a new marketplace snapshot was stored (message = its `at`). */
    marketplaceChanged: `${base}:marketplace:changed`,
    /** Pub/sub channel: someone asked the leader for an early marketplace refresh. */
    marketplaceRequests: `${base}:marketplace:refresh`,
    /**
     * Hash order id → JSON `{ orderId, jobId?, reason, requestedAt, sends, lastSentAt?, acceptedAt?,
     * provenEndedAt?, provenBy? }` of pending cancels.
     */
    cancelInfo: `${base}:cancels:info`,
    /** Pub/sub channel: a cancel was requested (message = the order id). */
    cancelRequests: `${base}:cancels:requested`,
    /** `claim:<serverId>` = jobId, with a TTL. */
    claim: (serverId: number) => `${base}:claim:${serverId}`,
  };
}

export type FleetKeys = ReturnType<typeof fleetKeys>;

/** The fleet's timings. The four required ones come from config; the rest have safe defaults. */
export interface FleetSettings {
  /** my_orders every this often while someone waits urgently for order state (ORDER_POLL_INTERVAL_MS). */
  pollIntervalMs: number;
  /**
   * my_orders every this often while jobs only watch their orders (budget, preemption), orders are
   * active or intents exist, and nobody waits urgently (ORDER_IDLE_POLL_INTERVAL_MS; default 5 × poll;
   * never more than half the reaper's grace, which needs two sightings within the grace).
   */
  idlePollIntervalMs?: number;
  /** my_orders every this often when there is nothing to watch at all: the reaper's safety poll (default 20 × poll). */
  quietPollIntervalMs?: number;
  /** A process's poll demand (docs/decisions/0055) expires this long after its last refresh (default max(3 × poll, 5 000)). */
  demandTtlMs?: number;
  /** marketplace every this often (MARKETPLACE_REFRESH_MS). */
  marketplaceRefreshMs: number;
  /** An orphan is cancelled after its attempt is not live for this long (REAPER_GRACE_SECONDS). */
  reaperGraceMs: number;
  /** The leader lease's time to live; renewed every third of it (default 15 000). */
  leaderTtlMs?: number;
  /** An early poll (requestPoll) comes no sooner than this after the previous one (default min(interval, 1 000)). */
  pollMinGapMs?: number;
  /** An early marketplace refresh comes no sooner than this after the previous one (default min(refresh, 5 000)). */
  marketplaceMinGapMs?: number;
  /** Cancels requested within this window go in one call (default 50). */
  cancelBatchWindowMs?: number;
  /** Resend a cancel whose order is not seen ended this long after the send (default max(3 × poll, 3 000)). */
  cancelConfirmMs?: number;
  /** Backoff of a cancel the API could not do: base × 2^n, capped (defaults 1 000 / 30 000). */
  cancelRetryBaseMs?: number;
  cancelRetryMaxMs?: number;
  /** Unused since docs/decisions/0111 (intents are matched on Redis time, not on the provider's `ct`). */
  intentSlackMs?: number;
  /**
   * An unbound intent explains an order on its server first seen (Redis time of the my_orders
   * answer that first listed it) no earlier than the intent and no later than this long after its
   * last create_order try returned (default 10 min; docs/decisions/0111). Later: a foreign order.
   */
  intentMatchWindowMs?: number;
  /**
   * CLORE_KEY_EXCLUSIVE: the API key belongs to this deployment alone, so any active order no live
   * attempt owns is reaped after the grace, intents or not (docs/decisions/0112). Default false:
   * orders no intent explains are someone else's and never cancelled.
   */
  exclusiveKey?: boolean;
  /** Answers without an order, after our accepted cancel, that prove it ended (default 3; docs/decisions/0110). */
  endAfterMisses?: number;
  /** Unbound intents older than this whose attempt is not live are forgotten (default 1 h). */
  unboundIntentMaxAgeMs?: number;
  /** Records of reaped orphans are kept this long after the order ended (default 24 h). */
  orphanRecordKeepMs?: number;
}

export type ResolvedFleetSettings = Required<FleetSettings>;

export function resolveFleetSettings(settings: FleetSettings): ResolvedFleetSettings {
  const poll = settings.pollIntervalMs;
  const resolved = {
    idlePollIntervalMs: 5 * poll,
    quietPollIntervalMs: 20 * poll,
    demandTtlMs: Math.max(3 * poll, 5_000),
    leaderTtlMs: 15_000,
    pollMinGapMs: Math.min(poll, 1_000),
    marketplaceMinGapMs: Math.min(settings.marketplaceRefreshMs, 5_000),
    cancelBatchWindowMs: 50,
    cancelConfirmMs: Math.max(3 * poll, 3_000),
    cancelRetryBaseMs: 1_000,
    cancelRetryMaxMs: 30_000,
    intentSlackMs: 60_000,
    intentMatchWindowMs: 600_000,
    exclusiveKey: false,
    endAfterMisses: 3,
    unboundIntentMaxAgeMs: 3_600_000,
    orphanRecordKeepMs: 86_400_000,
    ...Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined)),
  } as ResolvedFleetSettings;
  // Slower cadences are never faster than the ones they relax. The reaper counts an orphan's
  // grace only across sightings less than a grace apart: while orders are active (the idle
  // cadence at least), polls come at least twice per grace.
  resolved.idlePollIntervalMs = Math.max(
    Math.min(resolved.idlePollIntervalMs, resolved.reaperGraceMs / 2),
    poll,
  );
  resolved.quietPollIntervalMs = Math.max(resolved.quietPollIntervalMs, resolved.idlePollIntervalMs);
  return resolved;
}

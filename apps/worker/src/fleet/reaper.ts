import type { FleetKeys, Logger, TelemetryCounters } from '@clore-batch/shared';
import { METRICS } from '@clore-batch/shared';
import type { Redis } from 'ioredis';
import { pendingCancelIds } from './cancel-queue';
import { explainOrder } from './explain-order';
import type { AttemptLiveness, Intents, OrderIntent, OrdersSnapshot, Releases } from './fleet-types';
import { endedIn } from './orders-snapshot';

export interface ReaperDeps {
  redis: Redis;
  keys: FleetKeys;
  intents: Intents;
  releases: Releases;
  liveness: AttemptLiveness;
  telemetry: TelemetryCounters;
  logger: Logger;
  settings: {
    /** An order whose attempt is not live for longer than this (continuously) is cancelled. */
    graceMs: number;
    /** Tolerance when matching an unbound intent's time to an order's creation time. */
    intentSlackMs: number;
    /** Unbound intents older than this whose attempt is not live are forgotten. */
    unboundIntentMaxAgeMs: number;
    /** Reaped-orphan records are kept this long after the order ended (for the dashboard). */
    orphanRecordKeepMs: number;
  };
}

/** fleetKeys.orphans entry. */
export interface OrphanRecord {
  orderId: number;
  serverId: number;
  jobId: string;
  attempt: number;
  /** Redis time when the attempt was first seen not live (this continuous stretch). */
  firstSeen: number;
  lastSeen: number;
  reapedAt?: number;
  endedAt?: number;
}

/** fleetKeys.foreignOrders entry. */
export interface ForeignOrderRecord {
  orderId: number;
  serverId: number;
  firstSeen: number;
}

function parseAll<T>(all: Record<string, string>): Map<number, T> {
  const map = new Map<number, T>();
  for (const [field, raw] of Object.entries(all)) {
    try {
      map.set(Number(field), JSON.parse(raw) as T);
    } catch {
      // A malformed record is rewritten or dropped below.
    }
  }
  return map;
}

/**
 * The reaper (leader, after each stored snapshot; docs/decisions/0049). For every active order
 * without a pending cancel: explained by an intent whose attempt has not been live for longer than
 * the grace → released (reason 'orphan'), counted, logged, recorded; explained by no intent → a
 * foreign order (made by someone else with the same key): recorded and reported, NEVER cancelled.
 * Then intents whose order has ended, and stale unbound intents, are pruned.
 */
export function createReaper(deps: ReaperDeps) {
  const { redis, keys, settings, logger } = deps;

  async function isLive(jobId: string, attempt: number, orderId: number | undefined): Promise<boolean> {
    try {
      return await deps.liveness(jobId, attempt, orderId);
    } catch (error) {
      logger.warn(
        { err: error, jobId, attempt, orderId },
        'liveness check failed; treating the attempt as live',
      );
      return true;
    }
  }

  async function reap(record: OrphanRecord, now: number): Promise<void> {
    await deps.releases.request(record.orderId, { jobId: record.jobId, reason: 'orphan' });
    record.reapedAt = now;
    await deps.telemetry.add(METRICS.orphansReaped);
    logger.warn(
      { jobId: record.jobId, attempt: record.attempt, orderId: record.orderId, serverId: record.serverId },
      `reaping orphan order ${record.orderId} on server ${record.serverId}: job ${record.jobId} attempt ${record.attempt} not live for ${now - record.firstSeen} ms (grace ${settings.graceMs} ms)`,
    );
  }

  async function sweepOrders(snapshot: OrdersSnapshot, intents: OrderIntent[], now: number): Promise<void> {
    const pending = new Set(await pendingCancelIds(redis, keys));
    const orphans = parseAll<OrphanRecord>(await redis.hgetall(keys.orphans));
    const foreign = parseAll<ForeignOrderRecord>(await redis.hgetall(keys.foreignOrders));
    const active = new Set(snapshot.orders.map((order) => order.id));
    for (const order of snapshot.orders) {
      if (pending.has(order.id)) {
        continue;
      }
      const intent = explainOrder(order, intents, settings.intentSlackMs);
      if (intent === undefined) {
        if (!foreign.has(order.id)) {
          const record: ForeignOrderRecord = { orderId: order.id, serverId: order.serverId, firstSeen: now };
          await redis.hset(keys.foreignOrders, String(order.id), JSON.stringify(record));
          logger.warn(
            { orderId: order.id, serverId: order.serverId },
            `order ${order.id} on server ${order.serverId} matches no intent: made by someone else with this API key; left alone`,
          );
        }
        continue;
      }
      if (foreign.has(order.id)) {
        await redis.hdel(keys.foreignOrders, String(order.id));
      }
      const record = orphans.get(order.id);
      if (await isLive(intent.jobId, intent.attempt, order.id)) {
        if (record !== undefined && record.reapedAt === undefined) {
          await redis.hdel(keys.orphans, String(order.id));
        }
        continue;
      }
      const continuous =
        record !== undefined && record.jobId === intent.jobId && now - record.lastSeen <= settings.graceMs;
      const next: OrphanRecord = continuous
        ? { ...record, lastSeen: now }
        : {
            orderId: order.id,
            serverId: order.serverId,
            jobId: intent.jobId,
            attempt: intent.attempt,
            firstSeen: now,
            lastSeen: now,
          };
      if (next.reapedAt === undefined && now - next.firstSeen > settings.graceMs) {
        await reap(next, now);
        if (intent.orderId === undefined) {
          // The lost-create case: the intent now names its order, so it is pruned when that ends.
          await deps.intents.bindOrder(intent.jobId, intent.attempt, intent.serverId, order.id);
        }
      }
      await redis.hset(keys.orphans, String(order.id), JSON.stringify(next));
    }
    for (const [id, record] of foreign) {
      if (!active.has(id)) {
        await redis.hdel(keys.foreignOrders, String(id));
        logger.info({ orderId: id, serverId: record.serverId }, `foreign order ${id} is no longer active`);
      }
    }
    for (const [id, record] of orphans) {
      if (active.has(id)) {
        continue;
      }
      if (
        record.reapedAt === undefined ||
        (record.endedAt !== undefined && now - record.endedAt > settings.orphanRecordKeepMs)
      ) {
        await redis.hdel(keys.orphans, String(id));
      } else if (record.endedAt === undefined) {
        await redis.hset(keys.orphans, String(id), JSON.stringify({ ...record, endedAt: now }));
      }
    }
  }

  async function pruneIntents(snapshot: OrdersSnapshot, intents: OrderIntent[], now: number): Promise<void> {
    for (const intent of intents) {
      if (intent.orderId !== undefined) {
        // Bound: its order is known to have existed at boundAt (the binder's clock; a minute of slack).
        const knownSince = (intent.boundAt ?? intent.at) + settings.intentSlackMs;
        if (endedIn(snapshot, intent.orderId, knownSince).ended) {
          await deps.intents.remove(intent.jobId, intent.attempt, intent.serverId);
        }
      } else if (now - intent.at > settings.unboundIntentMaxAgeMs) {
        const explains = snapshot.orders.some((order) =>
          explainOrder(order, [intent], settings.intentSlackMs),
        );
        if (!explains && !(await isLive(intent.jobId, intent.attempt, undefined))) {
          await deps.intents.remove(intent.jobId, intent.attempt, intent.serverId);
          logger.info(
            { jobId: intent.jobId, attempt: intent.attempt, serverId: intent.serverId },
            'forgot a stale intent that never got an order',
          );
        }
      }
    }
  }

  return {
    async sweep(snapshot: OrdersSnapshot): Promise<void> {
      const now = snapshot.startedAt ?? snapshot.at;
      const intents = await deps.intents.list();
      await sweepOrders(snapshot, intents, now);
      await pruneIntents(snapshot, intents, now);
    },
  };
}

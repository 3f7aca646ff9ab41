import type { Order } from '@clore-batch/clore';
import type {
  FleetKeys,
  ForeignOrderRecord,
  Logger,
  OrphanRecord,
  TelemetryCounters,
} from '@clore-batch/shared';
import { fleetRecordJson, METRICS, orphanReapableAt, parseFleetHash } from '@clore-batch/shared';
import type { Redis } from 'ioredis';
import { pendingCancelIds } from './cancel-queue';
import { absentBeforeOf, explainOrder, firstSeenOf } from './explain-order';
import type { AttemptLiveness, Intents, OrderIntent, OrdersSnapshot, Releases } from './fleet-types';
import { endedIn } from './orders-snapshot';

export interface ReaperDeps {
  redis: Redis;
  keys: FleetKeys;
  intents: Intents;
  releases: Releases;
  liveness: AttemptLiveness;
  /**
   * A reaped orphan of a job has ended, with the provider's final figures: its bill goes into the
   * job's cost (docs/decisions/0123). A throw is logged and the call repeated at the next sweep.
   */
  onOrphanEnded?: (record: OrphanRecord, final: Order) => Promise<void>;
  telemetry: TelemetryCounters;
  logger: Logger;
  settings: {
    /** An order whose attempt is not live for longer than this (continuously) is cancelled. */
    graceMs: number;
    /** An unbound intent explains orders first seen up to this long after its last create try returned (0111). */
    intentMatchWindowMs: number;
    /** CLORE_KEY_EXCLUSIVE: orders no intent explains are ours too, reaped after the grace (0112). */
    exclusiveKey?: boolean;
    /** Unbound intents older than this whose attempt is not live are forgotten. */
    unboundIntentMaxAgeMs: number;
    /** Reaped-orphan records are kept this long after the order ended (for the dashboard). */
    orphanRecordKeepMs: number;
  };
}

/** fleetKeys.orphans and fleetKeys.foreignOrders entries (schemas in @clore-batch/shared). */
export type { ForeignOrderRecord, OrphanRecord };

/** The owner of an order no intent explains, in exclusive-key mode: no job, never live. */
const UNOWNED = (serverId: number) => ({ jobId: '', attempt: 0, serverId });

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

  /** A record hash by order id. A malformed entry is left out (logged): rewritten when its order is seen again. */
  async function readRecords<N extends 'orphan' | 'foreignOrder'>(name: N, key: string) {
    const { records, malformed } = parseFleetHash(name, await redis.hgetall(key));
    if (malformed.length > 0) {
      logger.warn({ key, fields: malformed }, `ignoring ${malformed.length} malformed ${name} record(s)`);
    }
    return new Map([...records].map(([field, record]) => [Number(field), record] as const));
  }

  async function sweepOrders(snapshot: OrdersSnapshot, intents: OrderIntent[], now: number): Promise<void> {
    const pending = new Set(await pendingCancelIds(redis, keys));
    const orphans = await readRecords('orphan', keys.orphans);
    const foreign = await readRecords('foreignOrder', keys.foreignOrders);
    // Not proven ended: listed active, missing from the answers, or bound to an intent of ours and
    // never seen (docs/decisions/0110). The orphan rule applies to all of them: an order of ours whose
    // attempt is not live for longer than the grace gets a cancel, whose answer is the evidence.
    const candidates = new Map<number, { id: number; serverId: number; listed: boolean }>();
    for (const order of snapshot.orders) {
      candidates.set(order.id, { id: order.id, serverId: order.serverId, listed: true });
    }
    for (const m of snapshot.missing ?? []) {
      if (m.order !== undefined && !candidates.has(m.id)) {
        candidates.set(m.id, { id: m.id, serverId: m.order.serverId, listed: false });
      }
    }
    for (const intent of intents) {
      const id = intent.orderId;
      if (id !== undefined && !candidates.has(id) && !endedIn(snapshot, id).ended) {
        candidates.set(id, { id, serverId: intent.serverId, listed: false });
      }
    }
    const active = new Set(candidates.keys());
    for (const order of candidates.values()) {
      if (pending.has(order.id)) {
        continue;
      }
      const explained = explainOrder(
        order,
        intents,
        firstSeenOf(snapshot, order.id),
        settings.intentMatchWindowMs,
        absentBeforeOf(snapshot, order.id),
      );
      // Exclusive key: an order no intent explains is ours all the same, owned by no live attempt.
      const intent: Pick<OrderIntent, 'jobId' | 'attempt' | 'serverId' | 'orderId'> | undefined =
        explained ?? (settings.exclusiveKey === true ? UNOWNED(order.serverId) : undefined);
      if (intent === undefined) {
        if (order.listed && !foreign.has(order.id)) {
          const record: ForeignOrderRecord = { orderId: order.id, serverId: order.serverId, firstSeen: now };
          await redis.hset(keys.foreignOrders, String(order.id), fleetRecordJson('foreignOrder', record));
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
      if (explained !== undefined && (await isLive(intent.jobId, intent.attempt, order.id))) {
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
      const orderFirstSeen = firstSeenOf(snapshot, order.id);
      if (next.orderFirstSeen === undefined && orderFirstSeen !== undefined) {
        next.orderFirstSeen = orderFirstSeen;
      }
      if (next.reapedAt === undefined && now > orphanReapableAt(next, settings.graceMs)) {
        await reap(next, now);
        if (explained !== undefined && intent.orderId === undefined) {
          // The lost-create case: the intent now names its order, so it is pruned when that ends.
          await deps.intents.bindOrder(intent.jobId, intent.attempt, intent.serverId, order.id);
        }
      }
      await redis.hset(keys.orphans, String(order.id), fleetRecordJson('orphan', next));
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
        const final = snapshot.ended.find((o) => o.id === id);
        if (final !== undefined && record.jobId !== '' && deps.onOrphanEnded !== undefined) {
          try {
            // endedAt: when its end was learnt (Redis time), for a bill the provider did not give.
            await deps.onOrphanEnded({ ...record, endedAt: now }, final);
          } catch (error) {
            logger.warn(
              { err: error, orderId: id, jobId: record.jobId },
              `could not count the bill of reaped order ${id} in job ${record.jobId}; retrying at the next sweep`,
            );
            continue;
          }
        }
        await redis.hset(keys.orphans, String(id), fleetRecordJson('orphan', { ...record, endedAt: now }));
      }
    }
  }

  async function pruneIntents(snapshot: OrdersSnapshot, intents: OrderIntent[], now: number): Promise<void> {
    const known = [
      ...snapshot.orders,
      ...(snapshot.missing ?? []).flatMap((m) => (m.order ? [m.order] : [])),
    ];
    for (const intent of intents) {
      if (intent.orderId !== undefined) {
        // Bound: removed only once its order is proven ended (evidence, docs/decisions/0110).
        if (endedIn(snapshot, intent.orderId).ended) {
          await deps.intents.remove(intent.jobId, intent.attempt, intent.serverId);
        }
        continue;
      }
      const explains = known.some((order) =>
        explainOrder(
          order,
          [intent],
          firstSeenOf(snapshot, order.id),
          settings.intentMatchWindowMs,
          absentBeforeOf(snapshot, order.id),
        ),
      );
      if (explains) {
        continue;
      }
      const windowOver =
        intent.settledAt !== undefined && now - intent.settledAt > settings.intentMatchWindowMs;
      if (!windowOver && now - intent.at <= settings.unboundIntentMaxAgeMs) {
        continue;
      }
      if (!(await isLive(intent.jobId, intent.attempt, undefined))) {
        await deps.intents.remove(intent.jobId, intent.attempt, intent.serverId);
        logger.info(
          { jobId: intent.jobId, attempt: intent.attempt, serverId: intent.serverId },
          'forgot an intent that never got an order (its matching window is over)',
        );
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

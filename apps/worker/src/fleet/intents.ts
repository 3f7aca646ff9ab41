import {
  awaitReplica,
  type FleetKeys,
  fleetRecordJson,
  type Logger,
  parseFleetHash,
  parseFleetRecord,
} from '@clore-batch/shared';
import type { Redis } from 'ioredis';
import { fleetNow } from './fleet-clock';
import { HSET_IF_EXISTS } from './fleet-scripts';
import type { Intents, OrderIntent } from './fleet-types';

/** One hash field per server tried in a job attempt (docs/decisions/0054). */
export function intentField(jobId: string, attempt: number, serverId: number): string {
  return `${jobId}:${attempt}:${serverId}`;
}

/** The field an older worker wrote (one per attempt); still read, bound and removed. */
function legacyField(jobId: string, attempt: number): string {
  return `${jobId}:${attempt}`;
}

/** One stored intent; a malformed one reads as none (it is rewritten by record/bindOrder, skipped by list). */
function parse(raw: string | null): OrderIntent | undefined {
  if (raw === null) {
    return undefined;
  }
  try {
    return parseFleetRecord('intent', raw);
  } catch {
    return undefined;
  }
}

const json = (intent: OrderIntent) => fleetRecordJson('intent', intent);

/**
 * Order intents (docs/decisions/0047, 0054): one hash field per (job, attempt, server), written
 * BEFORE create_order on that server, bound to the order id once it is known, removed only when no
 * order can exist for it (its order ended, or the create was refused outright; or pruned by the
 * reaper). The reaper trusts only these to tell our orders from someone else's.
 */
export function createIntents(redis: Redis, keys: FleetKeys, logger: Logger): Intents {
  // Redis time only: intents are compared with the Redis times of my_orders answers (0111).
  const now = () => fleetNow(redis);
  return {
    async record(input) {
      const field = intentField(input.jobId, input.attempt, input.serverId);
      const intent: OrderIntent = {
        jobId: input.jobId,
        attempt: input.attempt,
        serverId: input.serverId,
        at: await now(),
      };
      // Never replaces an intent already written for this server (its earlier time, its binding).
      if ((await redis.hsetnx(keys.intents, field, json(intent))) === 1) {
        // Sentinel: the intent is on a replica before create_order spends money, so a failover
        // cannot lose what explains the order to the reaper (docs/decisions/0145).
        if (!(await awaitReplica(redis))) {
          logger.warn(
            { jobId: input.jobId, attempt: input.attempt, serverId: input.serverId },
            'order intent not confirmed on a Redis replica (none answered WAIT); renting anyway',
          );
        }
        return intent;
      }
      return parse(await redis.hget(keys.intents, field)) ?? intent;
    },
    async settle(jobId, attempt, serverId) {
      const field = intentField(jobId, attempt, serverId);
      const current = parse(await redis.hget(keys.intents, field));
      if (current !== undefined && current.orderId === undefined) {
        const settled: OrderIntent = { ...current, settledAt: await now() };
        await redis.eval(HSET_IF_EXISTS, 1, keys.intents, field, json(settled));
      }
    },
    async bindOrder(jobId, attempt, serverId, orderId) {
      const field = intentField(jobId, attempt, serverId);
      const current = parse(await redis.hget(keys.intents, field));
      if (current !== undefined) {
        const bound: OrderIntent = { ...current, orderId, boundAt: await now() };
        await redis.eval(HSET_IF_EXISTS, 1, keys.intents, field, json(bound));
        return;
      }
      const legacy = parse(await redis.hget(keys.intents, legacyField(jobId, attempt)));
      if (legacy?.serverId === serverId) {
        // Written by an older worker: moved to this server's field, bound.
        await redis.hset(keys.intents, field, json({ ...legacy, orderId, boundAt: await now() }));
        await redis.hdel(keys.intents, legacyField(jobId, attempt));
        return;
      }
      // Bound orders are matched by id alone: write one, or the reaper would call the order foreign.
      logger.warn(
        { jobId, attempt, serverId, orderId },
        'bindOrder: no intent was recorded for this server and attempt; writing one',
      );
      const at = await now();
      const intent: OrderIntent = { jobId, attempt, serverId, at, orderId, boundAt: at };
      await redis.hset(keys.intents, field, json(intent));
    },
    async remove(jobId, attempt, serverId) {
      const fields = new Set<string>();
      if (serverId !== undefined) {
        fields.add(intentField(jobId, attempt, serverId));
      }
      for (const [field, raw] of Object.entries(await redis.hgetall(keys.intents))) {
        const intent = parse(raw);
        if (
          intent?.jobId === jobId &&
          intent.attempt === attempt &&
          (serverId === undefined || intent.serverId === serverId)
        ) {
          fields.add(field);
        }
      }
      if (fields.size > 0) {
        await redis.hdel(keys.intents, ...fields);
      }
    },
    async list() {
      const { records, malformed } = parseFleetHash('intent', await redis.hgetall(keys.intents));
      for (const field of malformed) {
        logger.warn({ field }, 'ignoring a malformed order intent');
      }
      return [...records.values()];
    },
  };
}

import type { FleetKeys, Logger } from '@clore-batch/shared';
import type { Redis } from 'ioredis';
import { HSET_IF_EXISTS } from './fleet-scripts';
import type { Intents, OrderIntent } from './fleet-types';

export function intentField(jobId: string, attempt: number): string {
  return `${jobId}:${attempt}`;
}

function isIntent(value: unknown): value is OrderIntent {
  const v = value as Partial<OrderIntent> | null;
  return (
    typeof v?.jobId === 'string' &&
    typeof v.attempt === 'number' &&
    typeof v.serverId === 'number' &&
    typeof v.at === 'number'
  );
}

/**
 * Order intents (docs/decisions/0047): one hash field per job attempt, written BEFORE create_order,
 * bound to the order id once it is known, removed once the order has ended (by the lifecycle, or
 * pruned by the reaper). The reaper trusts only these to tell our orders from someone else's.
 */
export function createIntents(redis: Redis, keys: FleetKeys, logger: Logger, now: () => number): Intents {
  return {
    async record(intent) {
      await redis.hset(keys.intents, intentField(intent.jobId, intent.attempt), JSON.stringify(intent));
    },
    async bindOrder(jobId, attempt, orderId) {
      const field = intentField(jobId, attempt);
      const raw = await redis.hget(keys.intents, field);
      const parsed: unknown = raw === null ? undefined : JSON.parse(raw);
      if (!isIntent(parsed)) {
        // Bound orders are matched by id alone: write one, or the reaper would call the order foreign.
        logger.warn(
          { jobId, attempt, orderId },
          'bindOrder: no intent was recorded for this attempt; writing one',
        );
        const intent: OrderIntent = { jobId, attempt, serverId: -1, at: now(), orderId, boundAt: now() };
        await redis.hset(keys.intents, field, JSON.stringify(intent));
        return;
      }
      const bound: OrderIntent = { ...parsed, orderId, boundAt: now() };
      await redis.eval(HSET_IF_EXISTS, 1, keys.intents, field, JSON.stringify(bound));
    },
    async remove(jobId, attempt) {
      await redis.hdel(keys.intents, intentField(jobId, attempt));
    },
    async list() {
      const all = await redis.hgetall(keys.intents);
      const intents: OrderIntent[] = [];
      for (const [field, raw] of Object.entries(all)) {
        try {
          const parsed: unknown = JSON.parse(raw);
          if (isIntent(parsed)) {
            intents.push(parsed);
            continue;
          }
        } catch {
          // reported below
        }
        logger.warn({ field }, 'ignoring a malformed order intent');
      }
      return intents;
    },
  };
}

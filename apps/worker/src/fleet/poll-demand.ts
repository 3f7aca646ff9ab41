import type { FleetKeys } from '@clore-batch/shared';
import type { Redis } from 'ioredis';

/**
 * How soon a waiter needs the next orders snapshot (docs/decisions/0055):
 * - `urgent`: an order must appear, come up or end (create lookup, await-ready): fast polls;
 * - `background`: a running attempt watches its budget and preemption: the idle cadence will do.
 */
export type PollUrgency = 'urgent' | 'background';

/**
 * KEYS[1] the demand set, KEYS[2] the `changed` channel. ARGV[1] member, ARGV[2] ttl ms, ARGV[3] kind.
 * Drops expired members, adds or refreshes this one (Redis time + ttl), and announces the kind when
 * the set had no live member before. Returns that count.
 */
const REGISTER_DEMAND = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local before = redis.call('ZCARD', KEYS[1])
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
if before == 0 then
  redis.call('PUBLISH', KEYS[2], ARGV[3])
end
return before
`;

/**
 * KEYS[1] urgent set, KEYS[2] background set, KEYS[3] intents hash, KEYS[4] cancels zset.
 * Returns { live urgent members, live background members, intents, pending cancels }.
 */
const READ_DEMAND = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
return { redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2]), redis.call('HLEN', KEYS[3]), redis.call('ZCARD', KEYS[4]) }
`;

export interface DemandReading {
  /** Processes with a job waiting urgently for order state. */
  urgent: number;
  /** Processes with a job watching its order in the background. */
  background: number;
  /** Intents (orders made or being made for a job attempt). */
  intents: number;
  /** Pending cancels. */
  cancels: number;
}

/** The leader's view of the deployment's demand for fresh order state (one round trip). */
export async function readPollDemand(redis: Redis, keys: FleetKeys): Promise<DemandReading> {
  const names = keys.demand;
  const [urgent, background, intents, cancels] = (await redis.eval(
    READ_DEMAND,
    4,
    names.urgent,
    names.background,
    keys.intents,
    keys.cancels,
  )) as number[];
  return {
    urgent: Number(urgent),
    background: Number(background),
    intents: Number(intents),
    cancels: Number(cancels),
  };
}

export interface PollDemandOptions {
  redis: Redis;
  keys: FleetKeys;
  /** This process's member in the demand sets (the fleet id). */
  member: string;
  /** A demand not refreshed for this long expires (a dead process stops counting). */
  ttlMs: number;
  /** After the last waiter of a kind leaves, its demand is withdrawn this much later (default 500). */
  lingerMs?: number;
}

/**
 * One process's demand: waiters `enter` a kind and call the returned `leave`. The process is one
 * member per kind in Redis, however many jobs wait: added when the first waiter enters (announced
 * if it is the deployment's first), refreshed every ttl/3 while any waits, withdrawn `lingerMs`
 * after the last leaves (a watch loop that calls next() again at once is not withdrawn and re-added).
 * Redis errors are ignored: a lost registration only means slower polls (at worst the idle cadence
 * or the safety poll), never a wrong answer.
 */
export class PollDemand {
  private readonly counts: Record<PollUrgency, number> = { urgent: 0, background: 0 };
  private readonly withdraws: Partial<Record<PollUrgency, NodeJS.Timeout>> = {};
  private refresher: NodeJS.Timeout | undefined;
  private readonly names: FleetKeys['demand'];

  constructor(private readonly options: PollDemandOptions) {
    this.names = options.keys.demand;
  }

  enter(kind: PollUrgency): () => void {
    this.counts[kind] += 1;
    const pendingWithdraw = this.withdraws[kind];
    if (pendingWithdraw !== undefined) {
      clearTimeout(pendingWithdraw);
      delete this.withdraws[kind];
    } else if (this.counts[kind] === 1) {
      this.register(kind);
    }
    this.refresher ??= setInterval(() => this.refresh(), Math.max(50, this.options.ttlMs / 3));
    this.refresher.unref();
    let left = false;
    return () => {
      if (left) {
        return;
      }
      left = true;
      this.counts[kind] -= 1;
      if (this.counts[kind] === 0) {
        const timer = setTimeout(() => {
          delete this.withdraws[kind];
          this.options.redis.zrem(this.names[kind], this.options.member).catch(() => undefined);
          this.stopRefresherIfIdle();
        }, this.options.lingerMs ?? 500);
        timer.unref();
        this.withdraws[kind] = timer;
      }
    };
  }

  /** Stop the timers (the fleet stops); the members expire on their own. */
  close(): void {
    clearInterval(this.refresher);
    this.refresher = undefined;
    for (const kind of ['urgent', 'background'] as const) {
      clearTimeout(this.withdraws[kind]);
      delete this.withdraws[kind];
    }
  }

  private register(kind: PollUrgency): void {
    const { redis, member, ttlMs } = this.options;
    redis
      .eval(REGISTER_DEMAND, 2, this.names[kind], this.names.changed, member, ttlMs, kind)
      .catch(() => undefined);
  }

  private refresh(): void {
    for (const kind of ['urgent', 'background'] as const) {
      if (this.counts[kind] > 0 || this.withdraws[kind] !== undefined) {
        this.register(kind);
      }
    }
  }

  private stopRefresherIfIdle(): void {
    const busy = (['urgent', 'background'] as const).some(
      (kind) => this.counts[kind] > 0 || this.withdraws[kind] !== undefined,
    );
    if (!busy) {
      clearInterval(this.refresher);
      this.refresher = undefined;
    }
  }
}

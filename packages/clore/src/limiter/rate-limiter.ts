import { randomUUID } from 'node:crypto';
import { cloreLimiterKeys, type Logger, silentLogger } from '@clore-batch/shared';
import type { Redis } from 'ioredis';
import { LANES, type Lane, lanePriority } from '../endpoints';
import type { AcquireRequest, AcquireResult, CallLimiter } from './limiter-types';
import { COMMIT, PENALIZE, RELEASE, TRY_ACQUIRE } from './scripts';
import { WakeBoard } from './wake-board';

export interface RateLimiterOptions {
  /** A connected ioredis client; the limiter duplicates it once for its wake-up subscription. */
  redis: Redis;
  /** hashApiKey(apiKey): every process using the same key shares one schedule. */
  keyHash: string;
  /** Minimum time between any two calls (default 1 100 ms; the API allows 1 per second). */
  generalSpacingMs?: number;
  /** Minimum time between two create_order calls (default 5 200 ms; the API allows 1 per 5 s). */
  createSpacingMs?: number;
  /** The deployment's REDIS_PREFIX: the keys are `cloreLimiterKeys(prefix, keyHash)` (the key registry). */
  prefix: string;
  /** A slot may be reserved this long before it starts (default min(100, general / 4) ms). */
  lookaheadMs?: number;
  /** A waiting ticket not refreshed for this long is dropped (its process died; default 5 000 ms). */
  aliveMs?: number;
  /** Told after every acquire (metrics). Must not throw. */
  onAcquire?: (event: { lane: Lane; waitedMs: number; isCreate: boolean }) => void;
  logger?: Logger;
}

export interface LaneStats {
  acquired: number;
  totalWaitMs: number;
  maxWaitMs: number;
}

export interface RateLimiter extends CallLimiter {
  /** Per-lane counts and waits of this process since it started. */
  stats(): Record<Lane, LaneStats>;
  /** Stop the wake-up subscription. Pending acquires keep polling until they get a slot. */
  close(): Promise<void>;
}

interface Reply {
  granted: boolean;
  delayMs: number;
  nextGeneral: number;
  nextCreate: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('acquire aborted');
}

/**
 * The shared Redis rate limiter (docs/decisions/0030). One schedule per API key: a general slot
 * every `generalSpacingMs`, and for create_order also a create slot every `createSpacingMs`.
 * Callers wait in a Redis waiting room ordered by lane, then arrival; only the head may reserve,
 * and only the slot about to start, so a cancel that arrives behind 20 waiting reads goes next.
 * Waiters sleep until a wake-up (pub/sub) or a bounded poll. When Redis is unreachable, acquire()
 * keeps retrying; it never lets a call through without a slot.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const general = options.generalSpacingMs ?? 1_100;
  const create = options.createSpacingMs ?? 5_200;
  const lookahead = options.lookaheadMs ?? Math.min(100, Math.floor(general / 4));
  const aliveMs = options.aliveMs ?? 5_000;
  const pollMs = Math.max(50, Math.floor(aliveMs / 3));
  const keyTtlMs = Math.max(3_600_000, create * 10);
  const names = cloreLimiterKeys(options.prefix, options.keyHash);
  const keys = [names.state, names.wait, names.alive, names.seq];
  const channel = names.wake;
  const redis = options.redis;
  const log = (options.logger ?? silentLogger()).child({
    component: 'rate-limiter',
    keyHash: options.keyHash,
  });
  const board = new WakeBoard(redis, channel, log);
  const instance = randomUUID().slice(0, 12);
  let counter = 0;
  // The latest schedule this process saw: if Redis loses its state, the schedule resumes from here.
  let floorGeneral = 0;
  let floorCreate = 0;
  const stats = Object.fromEntries(
    LANES.map((lane) => [lane, { acquired: 0, totalWaitMs: 0, maxWaitMs: 0 }]),
  ) as Record<Lane, LaneStats>;

  function remember(nextGeneral: number, nextCreate: number): void {
    floorGeneral = Math.max(floorGeneral, nextGeneral);
    floorCreate = Math.max(floorCreate, nextCreate);
  }

  async function tryAcquire(ticket: string, lane: Lane): Promise<Reply> {
    const args = [ticket, lanePriority(lane), aliveMs, general, create, lookahead, floorGeneral, floorCreate];
    const raw = (await redis.eval(TRY_ACQUIRE, 4, ...keys, ...args, channel, keyTtlMs)) as number[];
    const [granted = 0, delayMs = 0, nextGeneral = 0, nextCreate = 0] = raw.map(Number);
    remember(nextGeneral, nextCreate);
    return { granted: granted === 1, delayMs, nextGeneral, nextCreate };
  }

  async function release(ticket: string): Promise<void> {
    try {
      await redis.eval(RELEASE, 4, ...keys, ticket, channel);
    } catch (error) {
      // The ticket expires on its own once it is no longer refreshed.
      log.warn({ err: error, ticket }, 'could not leave the waiting room; the ticket will expire');
    }
  }

  async function acquire(request: AcquireRequest): Promise<AcquireResult> {
    const started = Date.now();
    counter += 1;
    const ticket = `${request.isCreate ? 'c' : 'g'}:${instance}:${counter}`;
    await board.ready();
    board.enter(ticket);
    try {
      return await waitForSlot(ticket, request, started);
    } catch (error) {
      await release(ticket);
      throw error;
    } finally {
      board.leave(ticket);
    }
  }

  async function waitForSlot(
    ticket: string,
    request: AcquireRequest,
    started: number,
  ): Promise<AcquireResult> {
    const signal = request.signal;
    let redisFailures = 0;
    for (;;) {
      if (signal?.aborted === true) {
        throw abortError(signal);
      }
      let reply: Reply;
      try {
        reply = await tryAcquire(ticket, request.lane);
        redisFailures = 0;
      } catch (error) {
        redisFailures += 1;
        const backoff = Math.min(2_000, 50 * 2 ** Math.min(redisFailures, 6));
        if (redisFailures === 1 || redisFailures % 20 === 0) {
          log.warn(
            { err: error, failures: redisFailures, lane: request.lane },
            'Redis unreachable; waiting for it',
          );
        }
        await board.wait(ticket, backoff, signal);
        continue;
      }
      if (reply.granted) {
        if (reply.delayMs > 0) {
          await sleep(reply.delayMs);
        }
        await passSendGate(request.isCreate, signal);
        const waitedMs = Date.now() - started;
        const laneStats = stats[request.lane];
        laneStats.acquired += 1;
        laneStats.totalWaitMs += waitedMs;
        laneStats.maxWaitMs = Math.max(laneStats.maxWaitMs, waitedMs);
        options.onAcquire?.({ lane: request.lane, waitedMs, isCreate: request.isCreate });
        return { waitedMs };
      }
      const waitMs = reply.delayMs < 0 ? pollMs : Math.min(pollMs, reply.delayMs);
      await board.wait(ticket, waitMs, signal);
    }
  }

  /**
   * Wait at the send gate until this call may really go out (COMMIT), then record its send time.
   * Never proceeds without Redis's word: while Redis is unreachable it keeps trying.
   */
  async function passSendGate(isCreate: boolean, signal: AbortSignal | undefined): Promise<void> {
    let failures = 0;
    for (;;) {
      if (signal?.aborted === true) {
        throw abortError(signal);
      }
      let raw: number[];
      try {
        raw = (
          (await redis.eval(COMMIT, 4, ...keys, general, create, isCreate ? 1 : 0, keyTtlMs)) as number[]
        ).map(Number);
        failures = 0;
      } catch (error) {
        failures += 1;
        if (failures === 1 || failures % 20 === 0) {
          log.warn({ err: error, failures }, 'Redis unreachable at the send gate; waiting for it');
        }
        await sleep(Math.min(2_000, 50 * 2 ** Math.min(failures, 6)));
        continue;
      }
      const [passed = 0, second = 0, third = 0] = raw;
      if (passed === 1) {
        remember(second, third);
        return;
      }
      // Another process sent later than its slot: keep the spacing from its real send time.
      await sleep(Math.max(1, second));
    }
  }

  async function penalize(ms: number): Promise<void> {
    for (let failures = 0; ; failures += 1) {
      try {
        const raw = (await redis.eval(
          PENALIZE,
          4,
          ...keys,
          Math.max(0, Math.round(ms)),
          keyTtlMs,
        )) as number[];
        remember(Number(raw[0] ?? 0), Number(raw[1] ?? 0));
        return;
      } catch (error) {
        if (failures >= 3) {
          // The next acquire() waits for Redis anyway; the penalty is also kept in this process.
          floorGeneral = Math.max(floorGeneral, Date.now() + ms);
          log.warn({ err: error }, 'could not record a rate-limit penalty in Redis');
          return;
        }
        await sleep(100 * (failures + 1));
      }
    }
  }

  return {
    acquire,
    penalize,
    stats: () => structuredClone(stats),
    close: () => board.close(),
  };
}

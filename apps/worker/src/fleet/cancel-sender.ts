import { CloreApiError, type CloreClient } from '@clore-batch/clore';
import { type CancelInfo, type FleetKeys, fleetRecordJson, type Logger } from '@clore-batch/shared';
import type { Redis } from 'ioredis';
import { finishCancels, readCancelInfos } from './cancel-queue';
import { fleetNow } from './fleet-clock';
import { HSET_IF_EXISTS } from './fleet-scripts';
import { readOrdersSnapshot } from './order-book';
import { endedIn } from './orders-snapshot';

export interface CancelSenderDeps {
  redis: Redis;
  keys: FleetKeys;
  client: CloreClient;
  logger: Logger;
  /** After a send, ask the watcher for an early poll so the end is confirmed soon. */
  onSent: () => void;
  settings: {
    /** Wait this long after the first due cancel, so requests made together go in one call. */
    batchWindowMs: number;
    /** After a successful send, resend if the order has not been seen ended by then. */
    confirmMs: number;
    /** Backoff after failed_to_cancel or an error: base × 2^(sends-1), capped. */
    retryBaseMs: number;
    retryMaxMs: number;
    /** The longest the sender sleeps with nothing due (a request also wakes it). */
    idleMs: number;
    /** At most this many single cancel_order calls per round, to learn why cancel_orders failed some ids (default 4). */
    singleCancelsPerRound?: number;
  };
}

const MAX_PER_ROUND = 512;

/** cancel_order answers that settle a cancel: the order has ended, or it is not ours to cancel. */
const SETTLING_ANSWERS = new Set(['order_not_active', 'you_dont_own_this_order']);

type SingleOutcome = 'accepted' | 'proven' | 'failed';

function settlingAnswer(error: unknown): string | undefined {
  return error instanceof CloreApiError &&
    error.apiError !== undefined &&
    SETTLING_ANSWERS.has(error.apiError)
    ? error.apiError
    : undefined;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });

/**
 * The leader's cancel round (docs/decisions/0048, 0110): takes every due order id, settles those
 * already proven ended (never one not sent yet), sends the rest in ONE cancel_orders call (the
 * client splits by 64; lane 'cancel'). Ids in `failed_to_cancel` get a single cancel_order (a few
 * per round) whose answer says why: `order_not_active` / `you_dont_own_this_order` prove the end,
 * OK means accepted. Each id is then rescheduled: a confirmation check after `confirmMs`, or a
 * capped backoff when the API could not cancel it. `acceptedAt` starts the count of answers
 * without the order that prove its end. An id leaves the queue only on evidence.
 */
export function cancelSendRound(deps: CancelSenderDeps) {
  const { redis, keys, settings, logger } = deps;

  async function due(now: number): Promise<number[]> {
    return (await redis.zrangebyscore(keys.cancels, '-inf', now, 'LIMIT', 0, MAX_PER_ROUND)).map(Number);
  }

  async function untilNext(now: number): Promise<number> {
    const [first] = await redis.zrange(keys.cancels, '0', '0', 'WITHSCORES').then((r) => [r[1]]);
    if (first === undefined) {
      return settings.idleMs;
    }
    return Math.min(settings.idleMs, Math.max(0, Number(first) - now));
  }

  return async (signal: AbortSignal): Promise<number> => {
    let now = await fleetNow(redis);
    if ((await due(now)).length === 0) {
      return untilNext(now);
    }
    if (settings.batchWindowMs > 0) {
      await sleep(settings.batchWindowMs, signal);
      now = await fleetNow(redis);
    }
    const ids = await due(now);
    const infos = await readCancelInfos(redis, keys, ids);
    const known = new Set(infos.keys());
    const snapshot = await readOrdersSnapshot(redis, keys);
    const settled: number[] = [];
    const proven: number[] = [];
    const toSend: number[] = [];
    for (const id of ids) {
      const info = infos.get(id) ?? { orderId: id, reason: 'unknown', requestedAt: now, sends: 0 };
      infos.set(id, info);
      // Settled here only on evidence, and never before it was sent once (docs/decisions/0110).
      if (info.sends > 0 && snapshot !== undefined && endedIn(snapshot, id).ended) {
        settled.push(id);
      } else if (info.provenEndedAt !== undefined) {
        // A cancel answer proved it ended: the watcher's next snapshot settles it.
        proven.push(id);
      } else {
        toSend.push(id);
      }
    }
    await finishCancels(redis, keys, settled);
    if (proven.length > 0) {
      await redis.zadd(keys.cancels, 'XX', ...proven.flatMap((id) => [now + settings.confirmMs, String(id)]));
    }
    if (toSend.length === 0) {
      return untilNext(now);
    }
    const result = await deps.client.cancelOrders({ ids: toSend }, { signal }).catch((error: Error) => ({
      failedIds: toSend,
      errors: [error],
    }));
    let failed = new Set(result.failedIds);
    const outcomes = new Map<number, { outcome: SingleOutcome; answer?: string }>();
    if (result.errors.length === 0 && failed.size > 0) {
      // In failed_to_cancel: ask cancel_order for a few of them, whose answer says why.
      for (const id of [...failed].slice(0, settings.singleCancelsPerRound ?? 4)) {
        signal.throwIfAborted();
        try {
          await deps.client.cancelOrder({ id }, { signal });
          outcomes.set(id, { outcome: 'accepted' });
        } catch (error) {
          const answer = settlingAnswer(error);
          outcomes.set(id, answer === undefined ? { outcome: 'failed' } : { outcome: 'proven', answer });
        }
      }
      failed = new Set(
        [...failed].filter(
          (id) => outcomes.get(id)?.outcome !== 'accepted' && outcomes.get(id)?.outcome !== 'proven',
        ),
      );
    }
    const sentAt = await fleetNow(redis);
    const batch = redis.multi();
    for (const id of toSend) {
      const info = infos.get(id) as CancelInfo;
      const next: CancelInfo = { ...info, sends: info.sends + 1, lastSentAt: sentAt };
      const single = outcomes.get(id);
      if (single?.outcome === 'proven') {
        next.provenEndedAt = sentAt;
        next.provenBy = single.answer as string;
      } else if (!failed.has(id)) {
        next.acceptedAt = sentAt;
      }
      const delay = failed.has(id)
        ? Math.min(settings.retryMaxMs, settings.retryBaseMs * 2 ** Math.min(20, next.sends - 1))
        : settings.confirmMs;
      // XX / if-exists: an id the watcher settled meanwhile is not brought back.
      batch.zadd(keys.cancels, 'XX', sentAt + delay, String(id));
      if (known.has(id)) {
        batch.eval(HSET_IF_EXISTS, 1, keys.cancelInfo, String(id), fleetRecordJson('cancelInfo', next));
      } else {
        batch.hsetnx(keys.cancelInfo, String(id), fleetRecordJson('cancelInfo', next));
      }
    }
    await batch.exec();
    const sent = toSend.filter((id) => !failed.has(id));
    const answered = [...outcomes]
      .filter(([, o]) => o.outcome === 'proven')
      .map(([id, o]) => ({ id, answer: o.answer }));
    logger.info(
      {
        orderIds: sent,
        failedIds: [...failed],
        proven: answered,
        jobIds: sent.map((id) => infos.get(id)?.jobId),
      },
      `cancel_orders sent for ${toSend.length} order(s): ${sent.length - answered.length} accepted, ${answered.length} already ended or not ours${failed.size > 0 ? `; ${failed.size} not cancelled yet` : ''}`,
    );
    if (result.errors.length > 0 || failed.size > 0) {
      logger.warn(
        { failedIds: [...failed], errors: result.errors.map((e) => e.message) },
        'cancel_orders could not cancel some orders; retrying with backoff until they are seen ended',
      );
    }
    deps.onSent();
    return untilNext(sentAt);
  };
}

import {
  fleetKeys,
  forComponent,
  type JobStore,
  type Logger,
  parseFleetHash,
  TERMINAL_STATES,
} from '@clore-batch/shared';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { startPeriodicPass } from '../periodic-pass';
import { fairQueueOf } from '../submission/enqueue';
import { webhookJobId } from '../webhooks/enqueue-webhook';

/**
 * The retention sweep (docs/decisions/0133). Every `intervalMs`, in each API process (every step is
 * idempotent):
 * 1. the sealed secrets of finished jobs whose orders have all ended are deleted (the worker does it
 *    when it finishes a job; this catches a worker that died first, or an order that ended later);
 * 2. every job that finished more than `retentionMs` ago is deleted: its BullMQ jobs (the run and
 *    the webhook deliveries) and its fair-share entries, then its record, events, log (Redis and DATA_DIR), outputs and index
 *    entries (`store.expire`).
 * Fail closed: a job with an order not known to have ended (an attempt without `endedAt`, an intent
 * or an orphan record of the fleet naming it) is kept, and so is every job while the fleet's orphan
 * records cannot be read.
 */
export interface RetentionSweep {
  /** One pass: the ids it deleted and those whose secrets it purged. */
  runOnce(): Promise<{ deleted: string[]; purged: string[] }>;
  stop(): Promise<void>;
}

export interface RetentionSweepDeps {
  store: JobStore;
  redis: Redis;
  /** REDIS_PREFIX (for the fleet's records). */
  prefix: string;
  queue: Queue;
  webhookQueue: Queue;
  logger: Logger;
  retentionMs: number;
  intervalMs: number;
  /** WEBHOOK_MAX_ATTEMPTS: the webhook deliveries' BullMQ ids run `<id>.<state>[.<n>]` up to it. */
  webhookMaxAttempts: number;
  now?: () => number;
}

/** Jobs handled per pass and step (a pass repeats while a step filled its page). */
const PAGE = 200;

export function startRetentionSweep(deps: RetentionSweepDeps): RetentionSweep {
  const log = forComponent(deps.logger, 'retention');
  const now = deps.now ?? Date.now;
  let stopped = false;
  let indexed = false;

  /** Job ids the fleet may still have a billing order for; undefined when its records cannot be read. */
  async function fleetHeld(): Promise<Set<string> | undefined> {
    const keys = fleetKeys(deps.prefix);
    const [orphans, intents] = await Promise.all([
      deps.redis.hgetall(keys.orphans),
      deps.redis.hkeys(keys.intents),
    ]);
    const { records, malformed } = parseFleetHash('orphan', orphans);
    if (malformed.length > 0) {
      log.warn({ fields: malformed }, 'malformed orphan records: no job is deleted in this pass');
      return undefined;
    }
    const held = new Set<string>();
    for (const record of records.values()) {
      if (record.endedAt === undefined && record.jobId !== '') {
        held.add(record.jobId);
      }
    }
    for (const field of intents) {
      held.add(field.split(':')[0] ?? '');
    }
    return held;
  }

  async function purge(): Promise<string[]> {
    const purged: string[] = [];
    for (const id of await deps.store.unpurgedJobs(PAGE * 5)) {
      if ((await deps.store.purgeSecrets(id)) === 'purged') {
        purged.push(id);
      }
    }
    return purged;
  }

  async function removeQueued(id: string): Promise<void> {
    await deps.queue.remove(id);
    for (const state of TERMINAL_STATES) {
      for (let n = 1; n <= deps.webhookMaxAttempts; n += 1) {
        await deps.webhookQueue.remove(webhookJobId(id, state, n));
      }
    }
  }

  async function expire(): Promise<string[]> {
    const cutoff = now() - deps.retentionMs;
    const deleted: string[] = [];
    const kept = new Set<string>();
    for (;;) {
      const due = (await deps.store.finishedBefore(cutoff, PAGE + kept.size)).filter((id) => !kept.has(id));
      if (due.length === 0 || stopped) {
        return deleted;
      }
      const held = await fleetHeld();
      if (held === undefined) {
        return deleted;
      }
      for (const id of due) {
        if (held.has(id)) {
          kept.add(id);
          continue;
        }
        const job = await deps.store.get(id).catch(() => undefined);
        if (job?.attempts.every((a) => a.endedAt !== undefined)) {
          await removeQueued(id);
          await fairQueueOf(deps.queue).forget(job);
        }
        const outcome = await deps.store.expire(id, cutoff);
        if (outcome === 'deleted') {
          deleted.push(id);
        } else if (outcome !== 'gone') {
          kept.add(id);
        }
      }
      if (kept.size > 0) {
        log.warn(
          { jobIds: [...kept].slice(0, 50) },
          `kept ${kept.size} job(s) past retention: an order of theirs is not known to have ended`,
        );
      }
    }
  }

  async function pass(): Promise<{ deleted: string[]; purged: string[] }> {
    if (!indexed) {
      const entered = await deps.store.indexFinished();
      indexed = true;
      if (entered > 0) {
        log.info({ entered }, `entered ${entered} finished job(s) into the retention index`);
      }
    }
    const purged = await purge();
    const deleted = await expire();
    if (deleted.length > 0) {
      log.info(
        { count: deleted.length, jobIds: deleted.slice(0, 50) },
        'deleted finished jobs past retention',
      );
    }
    return { deleted, purged };
  }

  const periodic = startPeriodicPass(pass, { intervalMs: deps.intervalMs, log, what: 'retention sweep' });
  return {
    runOnce: periodic.runOnce,
    async stop() {
      stopped = true;
      await periodic.stop();
    },
  };
}

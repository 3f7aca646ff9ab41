import {
  CLOCK_SKEW_MS,
  fleetKeys,
  forComponent,
  type JobRecord,
  type JobStore,
  type Logger,
  parseFleetHash,
  periodStart,
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
 * or an orphan record of the fleet naming it) is kept. So is every job created in the current UTC
 * month (less the clock skew margin): the tenant spend caps count their bills. Times are Redis time,
 * the finished index's clock.
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
  /** The clock (ms); default Redis TIME, the finished index's clock. */
  now?: () => number | Promise<number>;
}

/** Redis TIME in ms. */
async function redisTimeMs(redis: Redis): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000);
}

/** The `jobId` of a record that failed its schema, if its JSON still has one. */
function looseJobId(raw: string): string | undefined {
  try {
    const value = (JSON.parse(raw) as { jobId?: unknown } | null)?.jobId;
    return typeof value === 'string' && value !== '' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Jobs handled per pass and step (a pass repeats while a step filled its page). */
const PAGE = 200;

export function startRetentionSweep(deps: RetentionSweepDeps): RetentionSweep {
  const log = forComponent(deps.logger, 'retention');
  // Redis time: the clock the finished index is scored with (one clock for every process).
  const now = deps.now ?? (async () => redisTimeMs(deps.redis));
  let stopped = false;
  let indexed = false;

  /**
   * Job ids the fleet may still have a billing order for: open orphan records and intents naming
   * them. A malformed orphan record names its job if its JSON still has a `jobId`; one that does not
   * is logged and cannot hold a job (the reaper decides our orders from intents, not job records).
   */
  async function fleetHeld(): Promise<Set<string>> {
    const keys = fleetKeys(deps.prefix);
    const orphans = await deps.redis.hgetall(keys.orphans);
    const intents = await deps.redis.hkeys(keys.intents);
    const { records, malformed } = parseFleetHash('orphan', orphans);
    const held = new Set<string>();
    for (const record of records.values()) {
      if (record.endedAt === undefined && record.jobId !== '') {
        held.add(record.jobId);
      }
    }
    for (const field of malformed) {
      const jobId = looseJobId(orphans[field] ?? '');
      if (jobId === undefined) {
        log.warn({ field }, 'a malformed orphan record names no job; it holds none back');
      } else {
        held.add(jobId);
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

  /** The job's BullMQ run job and, if it has a webhook, the deliveries of its one terminal state. */
  async function removeQueued(job: JobRecord): Promise<void> {
    await deps.queue.remove(job.id);
    if (job.spec.webhookUrl === undefined) {
      return;
    }
    for (let n = 1; n <= deps.webhookMaxAttempts; n += 1) {
      await deps.webhookQueue.remove(webhookJobId(job.id, job.state, n));
    }
  }

  async function expire(): Promise<string[]> {
    const at = await now();
    const cut = {
      finishedBy: at - deps.retentionMs,
      // Spend caps count the bills of the current month's jobs: those stay (tenant-usage.ts). The
      // month is the one an API clock up to CLOCK_SKEW_MS behind this one still reads: for that
      // long after the month turns, the last month's jobs still count in some reader's cap.
      createdBefore: periodStart(new Date(at - CLOCK_SKEW_MS), 'month').getTime() - CLOCK_SKEW_MS,
    };
    const deleted: string[] = [];
    const kept = new Map<string, string>();
    for (;;) {
      const due = await deps.store.finishedBefore(cut.finishedBy, PAGE, kept.size);
      if (due.length === 0 || stopped) {
        break;
      }
      const held = await fleetHeld();
      for (const id of due) {
        if (held.has(id)) {
          kept.set(id, 'fleet-order');
          continue;
        }
        const job = await deps.store.get(id).catch(() => undefined);
        if (job?.attempts.every((a) => a.endedAt !== undefined)) {
          await removeQueued(job);
          await fairQueueOf(deps.queue).forget(job);
        }
        const outcome = await deps.store.expire(id, cut);
        if (outcome === 'deleted') {
          deleted.push(id);
        } else if (outcome !== 'gone') {
          kept.set(id, outcome);
        }
      }
    }
    const blocked = [...kept].filter(([, why]) => why !== 'spend-period');
    if (blocked.length > 0) {
      log.warn(
        { jobs: Object.fromEntries(blocked.slice(0, 50)) },
        `kept ${blocked.length} job(s) past retention: an order of theirs is not known to have ended`,
      );
    }
    return deleted;
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

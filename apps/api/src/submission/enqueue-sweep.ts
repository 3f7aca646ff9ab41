import { forComponent, type JobStore, type Logger } from '@clore-batch/shared';
import type { Queue } from 'bullmq';
import { startPeriodicPass } from '../periodic-pass';
import { enqueueRun, fairQueueOf } from './enqueue';

/**
 * Closes the gap between "stored" and "enqueued": a process that dies after `store.create` and
 * before `queue.add` leaves a queued job no worker will see. Every `intervalMs` this re-adds each
 * queued job older than `minAgeMs` that has no BullMQ job. Adding is idempotent (jobId = our id),
 * so several API processes may sweep at once. docs/decisions/0060-api-submission.md.
 * It also puts every such queued job back in its tenant's ready set of the fair-share dispatch when
 * it is missing there (a lost write, jobs queued before the upgrade: docs/decisions/0131).
 */
export interface EnqueueSweep {
  /** One pass; returns the ids it re-enqueued. */
  runOnce(): Promise<string[]>;
  stop(): Promise<void>;
}

export function startEnqueueSweep(deps: {
  store: JobStore;
  queue: Queue;
  logger: Logger;
  intervalMs: number;
  minAgeMs?: number;
  now?: () => number;
}): EnqueueSweep {
  const log = forComponent(deps.logger, 'enqueue-sweep');
  const minAgeMs = deps.minAgeMs ?? Math.min(deps.intervalMs, 10_000);
  const now = deps.now ?? Date.now;
  let stopped = false;

  async function pass(): Promise<string[]> {
    const requeued: string[] = [];
    const entered: string[] = [];
    const fair = fairQueueOf(deps.queue);
    let cursor: string | undefined;
    do {
      const page = await deps.store.list({ state: 'queued', limit: 200, ...(cursor ? { cursor } : {}) });
      for (const job of page.jobs) {
        if (now() - Date.parse(job.createdAt) < minAgeMs) {
          continue;
        }
        if ((await deps.queue.getJob(job.id)) === undefined) {
          await enqueueRun(deps.queue, job);
          requeued.push(job.id);
        } else if (await fair.enter(job)) {
          entered.push(job.id);
        }
      }
      cursor = page.nextCursor;
    } while (cursor !== undefined && !stopped);
    if (requeued.length > 0) {
      log.warn({ jobIds: requeued }, `re-enqueued ${requeued.length} queued job(s) that had no queue entry`);
    }
    if (entered.length > 0) {
      log.warn(
        { jobIds: entered.slice(0, 50) },
        `put ${entered.length} queued job(s) back in their tenant's fair-share ready set`,
      );
    }
    return requeued;
  }

  const periodic = startPeriodicPass(pass, { intervalMs: deps.intervalMs, log, what: 'enqueue sweep' });
  return {
    runOnce: periodic.runOnce,
    async stop() {
      stopped = true;
      await periodic.stop();
    },
  };
}

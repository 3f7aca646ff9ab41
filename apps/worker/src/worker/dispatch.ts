import {
  addRun,
  createFairQueue,
  type FairChoice,
  forComponent,
  type JobRecord,
  type JobStore,
  type Logger,
  type RunJobPayload,
  type TenantLimits,
  type WaitNote,
} from '@clore-batch/shared';
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/** Timings of the fair-share dispatch (docs/decisions/0131). */
export interface DispatchSettings {
  /**
   * How long a parked job stays a delayed BullMQ job before BullMQ hands it out to be decided again.
   * A safety net only: a parked job normally starts when a worker promotes it for a free slot.
   */
  parkMs: number;
  /** How often a worker with free slots promotes the fairest parked jobs (it also does on every freed slot). */
  pumpMs: number;
}

export const DEFAULT_DISPATCH: DispatchSettings = { parkMs: 5 * 60_000, pumpMs: 1_000 };

/** How long `close` waits for the pump and the promotions in flight. */
const CLOSE_WAIT_MS = 2_000;

export interface DispatchDeps {
  redis: Redis;
  prefix: string;
  /** JOBS_QUEUE, to promote parked jobs (and re-add one whose BullMQ job is gone). */
  queue: Queue<RunJobPayload>;
  /** The unfenced store: the wait notes are not lifecycle writes. */
  store: JobStore;
  /** TENANT_LIMITS (maxRunningJobs). */
  limits: TenantLimits;
  logger: Logger;
  settings: DispatchSettings;
  /** This worker's free slots now. */
  freeSlots(): number;
}

export interface Dispatch {
  /**
   * A slot of this worker took `job` (BullMQ) whose record is `record`. True: run it now (it is not
   * queued, or it got the slot); false: it was parked (moved to delayed: the processor must throw
   * BullMQ's DelayedError). `slots` counts this slot and the worker's other free ones.
   */
  admit(
    job: Job<RunJobPayload>,
    token: string | undefined,
    record: JobRecord,
    slots: number,
  ): Promise<boolean>;
  /** A slot freed (or may have): promote the fairest parked jobs for the free slots. Coalesced. */
  slotFreed(): void;
  close(): Promise<void>;
}

export function waitNoteText(note: Pick<WaitNote, 'owner' | 'running' | 'limit'>): string {
  return (
    `waiting: tenant ${note.owner} has ${note.running} job(s) running (its maxRunningJobs is ${note.limit}); ` +
    'this job starts when one of them ends'
  );
}

/**
 * The fair-share dispatch of one worker. BullMQ hands out queued jobs in its own order; `admit` asks
 * the fair queue whether the job in hand is the one the slot should go to. If not, the job is parked
 * as a delayed BullMQ job and the fairer ones are promoted, so they come next. Whenever a slot frees,
 * and every `pumpMs` while any is free, the fairest parked jobs are promoted for the free slots.
 */
export function createDispatch(deps: DispatchDeps): Dispatch {
  const log = forComponent(deps.logger, 'dispatch');
  const fair = createFairQueue(deps.redis, deps.prefix, deps.limits);
  const tasks = new Set<Promise<void>>();
  let pumping: Promise<void> | undefined;
  let again = false;
  let closed = false;

  const track = (task: Promise<void>) => {
    const tracked = task.catch((error: unknown) =>
      log.warn({ error: (error as Error).message }, 'fair-share dispatch step failed'),
    );
    tasks.add(tracked);
    void tracked.finally(() => tasks.delete(tracked));
  };

  /**
   * Make a chosen job one a slot will take: promote it if parked; if the store says queued but its
   * BullMQ job is gone or finished (a lost add, a failure recorded while it was still queued), add or
   * retry it. A chosen job that no slot can ever take would hold its tenant's turn for good.
   */
  async function promote(id: string): Promise<void> {
    const job = await deps.queue.getJob(id);
    const state = job === undefined ? 'missing' : await job.getState();
    if (state === 'delayed') {
      await job?.promote().catch(() => undefined); // taken by a slot meanwhile
      return;
    }
    if (state !== 'missing' && state !== 'unknown' && state !== 'completed' && state !== 'failed') {
      return; // waiting or active: a slot has it or will
    }
    const record = await deps.store.get(id).catch(() => undefined);
    if (record?.state !== 'queued') {
      return;
    }
    log.warn(
      { jobId: id, bullState: state },
      'a queued job had no BullMQ job a slot could take; adding it again',
    );
    if (job !== undefined && (state === 'completed' || state === 'failed')) {
      await job.retry(state);
    } else {
      await addRun(deps.queue, id);
    }
  }

  async function note(notes: readonly WaitNote[]): Promise<void> {
    for (const waiting of notes) {
      const message = waitNoteText(waiting);
      for (const id of waiting.jobIds) {
        const record = await deps.store.get(id).catch(() => undefined);
        if (record?.state !== 'queued') {
          continue;
        }
        await deps.store.update(id, (draft) => {
          if (draft.state === 'queued') {
            draft.events.push({ at: new Date().toISOString(), type: 'info', message });
          }
        });
      }
    }
  }

  const follow = async (choice: FairChoice) => {
    await Promise.all(choice.picks.map(promote));
    await note(choice.notes);
  };

  function slotFreed(): void {
    if (closed) {
      return;
    }
    if (pumping !== undefined) {
      again = true;
      return;
    }
    pumping = (async () => {
      do {
        again = false;
        const free = deps.freeSlots();
        if (free > 0) {
          await follow(await fair.pick(free));
        }
      } while (again && !closed);
    })()
      .catch((error: unknown) => log.warn({ error: (error as Error).message }, 'fair-share pump failed'))
      .finally(() => {
        pumping = undefined;
      });
  }

  const timer = setInterval(slotFreed, deps.settings.pumpMs);
  timer.unref();

  return {
    async admit(job, token, record, slots) {
      if (record.state !== 'queued') {
        return true;
      }
      let choice: FairChoice;
      try {
        choice = await fair.decide(record, slots);
      } catch (error) {
        // Redis trouble: the driver meets it too and handles it with its own rounds.
        log.warn(
          { jobId: record.id, error: (error as Error).message },
          'fair-share decision failed; running',
        );
        return true;
      }
      track(follow(choice));
      if (choice.verdict !== 'park') {
        return true;
      }
      await job.moveToDelayed(Date.now() + deps.settings.parkMs, token);
      log.debug({ jobId: record.id, picks: choice.picks }, 'parked: another job gets the slot');
      return false;
    },
    slotFreed,
    async close() {
      closed = true;
      clearInterval(timer);
      // Bounded: with Redis away these wait for it; a promotion left undone is redone by any pump.
      let wait: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => {
        wait = setTimeout(resolve, CLOSE_WAIT_MS);
      });
      await Promise.race([Promise.all([pumping, ...tasks]), bound]);
      clearTimeout(wait);
    },
  };
}

import {
  AppError,
  abortableSleep,
  backoffMs,
  bullPrefix,
  DRIVER_RETRY_BASE_MS,
  DRIVER_ROUNDS,
  forComponent,
  JOBS_QUEUE,
  type JobRecord,
  type RunJobPayload,
  type TenantLimits,
} from '@clore-batch/shared';
import { DelayedError, type Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { abandonJob } from '../lifecycle/abandon-job';
import { WorkerStopping } from '../lifecycle/control';
import type { LifecycleDeps } from '../lifecycle/deps';
import { isOwnershipLost, isRecordLost } from '../lifecycle/ownership';
import { runJob } from '../lifecycle/run-job';
import { settleInBull } from './bull-outcome';
import { createDispatch, DEFAULT_DISPATCH, type DispatchSettings } from './dispatch';

export interface WorkerDeps extends LifecycleDeps {
  /** A connection for BullMQ (`maxRetriesPerRequest: null`); the worker duplicates it, never closes it. */
  connection: Redis;
  /** WORKER_CONCURRENCY. */
  concurrency: number;
  /** WORKER_LOCK_DURATION_MS: a dead worker's jobs are picked up about this long after it died. */
  lockDurationMs: number;
  /** TENANT_LIMITS: the fair-share dispatch holds each tenant to its maxRunningJobs. */
  tenantLimits?: TenantLimits;
  /** Overrides of the fair-share dispatch's timings (tests). */
  dispatch?: Partial<DispatchSettings>;
}

export interface LifecycleWorker {
  readonly worker: Worker;
  /** The deps every job run of this worker gets (tests drive runJob with them). */
  readonly deps: LifecycleDeps;
  /** Jobs this process is running now. */
  active(): number;
  /**
   * Stop taking jobs. Jobs in progress are left as they are (their commands keep running on their
   * servers) for the next worker to resume once their locks expire: BullMQ's `close(true)`.
   */
  close(): Promise<void>;
}

/**
 * The worker: a BullMQ Worker on JOBS_QUEUE (`bullPrefix(REDIS_PREFIX)`) whose processor runs the
 * job lifecycle. The processor is idempotent: a job taken over from a dead worker resumes from what
 * the store holds. A job whose record ended succeeded completes in BullMQ; failed or cancelled, its
 * BullMQ job fails with the reason (bull-outcome.ts, docs/decisions/0146). A queued job runs only when
 * the fair-share dispatch gives it the slot (dispatch.ts, docs/decisions/0131); otherwise it is
 * parked as a delayed BullMQ job until a worker promotes it.
 */
export function createWorker(deps: WorkerDeps): LifecycleWorker {
  const log = forComponent(deps.logger, 'worker');
  const running = new Set<AbortController>();
  const queue = new Queue<RunJobPayload>(JOBS_QUEUE, {
    connection: deps.connection,
    prefix: bullPrefix(deps.prefix),
  });
  const dispatch = createDispatch({
    redis: deps.redis,
    prefix: deps.prefix,
    queue,
    store: deps.store,
    limits: deps.tenantLimits ?? {},
    logger: deps.logger,
    settings: { ...DEFAULT_DISPATCH, ...deps.dispatch },
    freeSlots: () => deps.concurrency - running.size,
  });
  /**
   * The record when it can be read; a missing one is the driver's to handle (decision 0121). Any
   * other failure is read again until it answers: a job whose record cannot be read is not admitted,
   * and must not run past its tenant's limits.
   */
  const readRecord = async (jobId: string, signal: AbortSignal): Promise<JobRecord | undefined> => {
    for (let round = 1; ; round += 1) {
      try {
        return await deps.store.get(jobId);
      } catch (error) {
        if (error instanceof AppError && error.code === 'JOB_NOT_FOUND') {
          return undefined;
        }
        log.warn({ jobId, error: (error as Error).message }, 'could not read the job record; reading again');
        await abortableSleep(backoffMs(round, DRIVER_RETRY_BASE_MS, 30_000), signal);
      }
    }
  };
  // A run's job lease lapses with the BullMQ lock (docs/decisions/0120): a worker paused past its
  // lock has also lost the lease by the time another worker takes the job, and cannot write it.
  const lifecycle: LifecycleDeps = {
    ...deps,
    settings: { ...deps.settings, leaseMs: deps.lockDurationMs },
  };
  const processor = async (job: Job<RunJobPayload>, token?: string) => {
    const { jobId } = job.data;
    const controller = new AbortController();
    running.add(controller);
    const leave = async (): Promise<never> => {
      log.info({ jobId }, 'left the job for another worker to resume');
      // Never settle: a settled job would be moved to completed/failed; left unsettled, its lock
      // expires and BullMQ hands it to another worker.
      return new Promise<never>(() => {});
    };
    try {
      // This slot's own share plus the worker's other free slots.
      const slots = deps.concurrency - running.size + 1;
      let record: JobRecord | undefined;
      try {
        record = await readRecord(jobId, controller.signal);
      } catch {
        return await leave(); // stopping while the record could not be read
      }
      if (record !== undefined && !(await dispatch.admit(job, token, record, slots))) {
        throw new DelayedError(); // parked: BullMQ leaves it delayed
      }
      let final: JobRecord | undefined;
      for (let round = 1; final === undefined; round += 1) {
        try {
          final = await runJob(lifecycle, jobId, controller.signal);
        } catch (error) {
          if (controller.signal.aborted) {
            return await leave();
          }
          if (isOwnershipLost(error)) {
            // Another worker took the lease (this one paused, or lost Redis, past it). If BullMQ
            // still gives this worker the job, take it up again (the lease is waited for); if not,
            // the job is another worker's: throw, and BullMQ (whose lock is not ours) changes nothing.
            const mine =
              token === undefined ? 1 : await job.extendLock(token, deps.lockDurationMs).catch(() => 1);
            if (mine === 0) {
              log.warn({ jobId }, 'lost the job to another worker (lease and lock); letting it go');
              throw error;
            }
            log.warn(
              { jobId },
              'lost the job lease but still holds its BullMQ lock; taking the job up again',
            );
            round -= 1; // not a failure of the driver
            try {
              await abortableSleep(Math.min(1_000, deps.lockDurationMs / 4), controller.signal);
            } catch {
              return await leave();
            }
            continue;
          }
          if (error instanceof WorkerStopping) {
            return await leave();
          }
          if (isRecordLost(error)) {
            // Its record is gone (the order it held was cancelled): nothing is left to run.
            log.error(
              { jobId, error: (error as Error).message },
              'the job record vanished; dropping the job',
            );
            return { state: 'record-lost' };
          }
          const message = (error as Error).message;
          log.error(
            { jobId, round, error: message, stack: (error as Error).stack },
            `the job lifecycle failed (round ${round} of ${DRIVER_ROUNDS})`,
          );
          if (round >= DRIVER_ROUNDS) {
            await abandonJob(lifecycle, jobId, error, controller.signal).catch((abandonError: unknown) => {
              log.error(
                { jobId, error: (abandonError as Error).message },
                'could not abandon the job cleanly',
              );
            });
            throw error;
          }
          // The driver resumes from the store: run it again after a pause.
          try {
            await abortableSleep(backoffMs(round, DRIVER_RETRY_BASE_MS), controller.signal);
          } catch {
            return await leave();
          }
        }
      }
      // Outside the driver's rounds: a failed or cancelled job fails its BullMQ job (no retry).
      return settleInBull(final);
    } finally {
      running.delete(controller);
      dispatch.slotFreed();
    }
  };
  const worker = new Worker<RunJobPayload>(JOBS_QUEUE, processor, {
    connection: deps.connection,
    prefix: bullPrefix(deps.prefix),
    concurrency: deps.concurrency,
    lockDuration: deps.lockDurationMs,
    stalledInterval: deps.lockDurationMs,
    maxStalledCount: 1_000,
    autorun: true,
  });
  worker.on('error', (error) => log.error({ error: error.message }, 'BullMQ worker error'));
  return {
    worker,
    deps: lifecycle,
    active: () => running.size,
    async close() {
      for (const controller of running) {
        controller.abort(new WorkerStopping());
      }
      await worker.close(true);
      await dispatch.close();
      await queue.close();
    },
  };
}

import { hostname } from 'node:os';
import {
  forComponent,
  forJob,
  isTerminal,
  type JobEvent,
  type JobLease,
  type JobRecord,
  type JobStore,
  type Logger,
  METRICS,
  type TransitionOptions,
} from '@clore-batch/shared';
import { CancelRequested, WorkerStopping } from './control';
import type { LifecycleDeps } from './deps';
import { guardOrderWhileRedisIsSilent } from './order-dead-man';
import { isOwnershipLost, isRecordLost, OwnershipLost, RecordLost } from './ownership';

/** The lease TTL when the settings name none: BullMQ's default lock duration. */
export const DEFAULT_LEASE_MS = 30_000;

/**
 * One worker's hold on one job: its lease (ownership), the latest record, a scoped logger, and the
 * signal every wait of the current attempt takes. A cancel (live notification or a periodic
 * re-read), the worker stopping, the lease lost or the record vanished aborts it; these stay in
 * force for later attempts. Attempt-level reasons (budget, the order ended) abort only the current
 * attempt's signal.
 *
 * Ownership (docs/decisions/0120): `open` takes the job's lease (waiting while another worker holds
 * it) and renews it every third of its TTL. `deps.store` of a run is the store fenced by that lease,
 * so every job write the lifecycle makes through `run.deps` lands only while this run owns the job;
 * once the lease is lost, writes fail with JOB_OWNERSHIP_LOST and the run stops (`OwnershipLost`).
 */
export class JobRun {
  readonly id: string;
  /** The worker's deps, with `store` fenced by this run's lease. */
  readonly deps: LifecycleDeps;
  /** Aborts when the worker stops or the lease is lost: releases and final writes listen to this one. */
  readonly stopSignal: AbortSignal;
  readonly lease: JobLease;
  job: JobRecord;
  log: Logger;
  /**
   * Orders this run made whose attempt is not recorded yet (between create_order and addAttempt):
   * if Redis loses the job meanwhile, nothing there names them, so a vanished record cancels these
   * too (ownership.ts cancelOrdersOfVanishedJob).
   */
  readonly unrecordedOrders = new Set<number>();
  #attempt = new AbortController();
  readonly #owned = new AbortController();
  #sticky: Error | undefined;
  #unsubscribe: (() => Promise<void>) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #renewTimer: NodeJS.Timeout | undefined;
  /** performance.now() when the last successful renewal was sent. */
  #renewedAt: number;
  readonly #workerStop: AbortSignal;
  #guarded = false;
  readonly #onStop = () => this.#abortAll(new WorkerStopping());

  private constructor(deps: LifecycleDeps, job: JobRecord, workerStop: AbortSignal, lease: JobLease) {
    this.deps = { ...deps, store: this.#watched(deps.store.fenced(lease)) };
    this.id = job.id;
    this.job = job;
    this.lease = lease;
    this.#renewedAt = lease.sentAt;
    this.#workerStop = workerStop;
    this.stopSignal = AbortSignal.any([workerStop, this.#owned.signal]);
    this.log = forJob(forComponent(deps.logger, 'lifecycle'), job.id);
  }

  static async open(deps: LifecycleDeps, jobId: string, stopSignal: AbortSignal): Promise<JobRun> {
    const log = forJob(forComponent(deps.logger, 'lifecycle'), jobId);
    const ttlMs = deps.settings.leaseMs ?? DEFAULT_LEASE_MS;
    let waited = false;
    const lease = await deps.store.acquireLease(jobId, {
      ttlMs,
      holder: `${hostname()}:${process.pid}`,
      signal: stopSignal,
      onWait: (holder, msLeft) => {
        if (!waited) {
          waited = true;
          log.warn({ holder, msLeft }, `job ${jobId} is held by another worker; waiting for its lease`);
        }
      },
    });
    let job: JobRecord;
    try {
      job = await deps.store.get(jobId);
    } catch (error) {
      await deps.store.releaseLease(lease).catch(() => {});
      throw error;
    }
    const run = new JobRun(deps, job, stopSignal, lease);
    if (stopSignal.aborted) {
      run.#abortAll(new WorkerStopping());
    } else {
      stopSignal.addEventListener('abort', run.#onStop, { once: true });
    }
    run.#renewTimer = setInterval(() => void run.#renew(), Math.max(50, Math.floor(ttlMs / 3)));
    run.#renewTimer.unref();
    if (!isTerminal(run.job.state)) {
      run.#unsubscribe = await deps.store.subscribe(jobId, (message) => {
        if (message.type !== 'log' && message.job.cancelRequestedAt !== undefined) {
          run.#abortAll(new CancelRequested());
        }
      });
      // Only looks for a cancel: the record itself belongs to the driver (a late read must never
      // replace a newer record it wrote).
      run.#timer = setInterval(() => {
        deps.store.get(jobId).then(
          (job) => run.#noteCancel(job),
          () => {},
        );
      }, deps.settings.cancelPollMs);
      run.#timer.unref();
    }
    run.#noteCancel();
    return run;
  }

  /** The current attempt's signal. */
  get signal(): AbortSignal {
    return this.#attempt.signal;
  }

  get cancelRequested(): boolean {
    return this.#sticky instanceof CancelRequested;
  }

  /** The worker is stopping or lost the lease: leave the job. */
  get stopping(): boolean {
    return this.#sticky instanceof WorkerStopping;
  }

  get ownershipLost(): boolean {
    return this.#sticky instanceof OwnershipLost;
  }

  get recordLost(): boolean {
    return this.#sticky instanceof RecordLost;
  }

  /**
   * Throws OwnershipLost unless this run still holds its lease as far as this process can tell:
   * not lost, and renewed within the TTL (a paused process may not have heard yet). Call it right
   * before an action on the job's money (an order) that no store write fences.
   */
  assertOwner(): void {
    if (!(this.#sticky instanceof OwnershipLost) && performance.now() - this.#renewedAt >= this.lease.ttlMs) {
      this.lost(new OwnershipLost('the lease was not renewed within its TTL (this worker was paused?)'));
      this.#guardOrder();
    }
    if (this.#sticky instanceof OwnershipLost) {
      throw this.#sticky;
    }
  }

  /** Stop the run for good because the lease is gone (a write said so, or the renewal). */
  lost(reason: Error = new OwnershipLost()): void {
    const error = reason instanceof OwnershipLost ? reason : new OwnershipLost(reason.message);
    if (!(this.#sticky instanceof OwnershipLost)) {
      this.log.warn({ error: error.message }, `job ${this.id}: lease lost; leaving the job to its new owner`);
    }
    this.#abortAll(error);
    this.#owned.abort(error);
  }

  /** The record vanished: end the attempt's waits; the driver then cancels the order it holds. */
  vanished(): void {
    this.#abortAll(new RecordLost());
  }

  /** Called for every error the driver sees: notes a lost lease or a vanished record. */
  note(error: unknown): void {
    if (isOwnershipLost(error)) {
      this.lost(error instanceof Error ? error : new OwnershipLost());
    } else if (isRecordLost(error)) {
      this.vanished();
    }
  }

  /** A fresh signal for a new attempt (still aborted when a cancel or a stop is in force). */
  newAttemptSignal(): AbortSignal {
    this.#attempt = new AbortController();
    if (this.#sticky !== undefined) {
      this.#attempt.abort(this.#sticky);
    }
    return this.#attempt.signal;
  }

  /** End the current attempt's waits with `reason` (budget, order ended). */
  abortAttempt(reason: Error): void {
    if (!this.#attempt.signal.aborted) {
      this.#attempt.abort(reason);
    }
  }

  throwIfStopped(): void {
    if (this.#sticky !== undefined) {
      throw this.#sticky;
    }
  }

  async refresh(): Promise<JobRecord> {
    const before = this.job;
    this.job = await this.deps.store.get(this.id);
    await this.#cancelForgotten(before);
    this.#noteCancel();
    return this.job;
  }

  /**
   * No write removes an attempt: one this run knew holding an order that the store no longer has
   * means the store lost data (a Redis rolled back). Nothing records that order any more: cancel it.
   */
  async #cancelForgotten(before: JobRecord): Promise<void> {
    for (const attempt of before.attempts) {
      if (attempt.orderId === undefined || attempt.endedAt !== undefined) {
        continue;
      }
      if (this.job.attempts.some((a) => a.n === attempt.n && a.orderId === attempt.orderId)) {
        continue;
      }
      this.log.error(
        { attempt: attempt.n, orderId: attempt.orderId },
        `job ${this.id}: the store no longer records attempt ${attempt.n} (data lost or rolled back); cancelling order ${attempt.orderId} it held`,
      );
      await this.deps.fleet.releases.request(attempt.orderId, {
        jobId: this.id,
        reason: 'record-rolled-back',
      });
    }
  }

  /** A guarded state change from the state the job is in now. */
  async transition(
    event: JobEvent,
    options: Omit<TransitionOptions, 'expectedState'> = {},
  ): Promise<JobRecord> {
    const from = this.job.state;
    this.job = await this.deps.store.transition(this.id, event, { ...options, expectedState: from });
    this.log.info(
      { event, from, to: this.job.state, reason: options.reason, exitCode: options.exitCode },
      `job ${this.id}: ${from} → ${this.job.state} (${event})${options.message ? `: ${options.message}` : ''}`,
    );
    if (isTerminal(this.job.state)) {
      const { startedAt, finishedAt, createdAt } = this.job;
      const seconds = (Date.parse(finishedAt ?? '') - Date.parse(startedAt ?? createdAt)) / 1000;
      if (Number.isFinite(seconds)) {
        await this.deps.telemetry?.observe(METRICS.jobDuration, seconds, { state: this.job.state });
      }
    }
    return this.job;
  }

  async close(): Promise<void> {
    this.#workerStop.removeEventListener('abort', this.#onStop);
    if (this.#timer !== undefined) {
      clearInterval(this.#timer);
    }
    if (this.#renewTimer !== undefined) {
      clearInterval(this.#renewTimer);
    }
    await this.#unsubscribe?.().catch(() => {});
    if (!this.stopping || this.ownershipLost) {
      // Done with the job, leaving it after an error the processor retries, or lost (a no-op unless
      // Redis still holds this token): let the next run take it at once. A worker shutting down
      // keeps it until the TTL ends, as BullMQ keeps its lock.
      await this.deps.store.releaseLease(this.lease).catch(() => {});
    }
  }

  /** The store with every rejection noted first (a lost lease or a vanished record stops the run at once). */
  #watched(store: JobStore): JobStore {
    const watched = { ...store };
    for (const [name, value] of Object.entries(store)) {
      if (typeof value === 'function' && name !== 'follow' && name !== 'fenced') {
        (watched as Record<string, unknown>)[name] = (...args: unknown[]) => {
          const result = (value as (...a: unknown[]) => unknown)(...args);
          if (result instanceof Promise) {
            return result.catch((error: unknown) => {
              this.note(error);
              throw error;
            });
          }
          return result;
        };
      }
    }
    return watched;
  }

  async #renew(): Promise<void> {
    if (this.#sticky instanceof OwnershipLost) {
      return;
    }
    const sentAt = performance.now();
    if (sentAt - this.#renewedAt >= this.lease.ttlMs) {
      // Not renewed within the TTL: Redis has let the lease go, whatever the renewal would say.
      this.lost(new OwnershipLost('the lease was not renewed within its TTL (this worker was paused?)'));
      // Or Redis itself is silent: then nothing else can stop the order's bill (decision 0125).
      this.#guardOrder();
      return;
    }
    try {
      const check = await this.deps.store.renewLease(this.lease);
      if (check === 'held') {
        this.#renewedAt = Math.max(this.#renewedAt, sentAt);
      } else if (check === 'lost') {
        this.lost(new OwnershipLost('the lease expired or another worker took the job'));
      } else {
        this.vanished();
      }
    } catch (error) {
      this.log.warn({ error: (error as Error).message }, 'could not renew the job lease; trying again');
    }
  }

  /**
   * The lease lapsed unconfirmed: leave a guard on the open attempt's order that cancels it
   * directly if Redis stays silent for SPEND_UNVERIFIED_MAX_SECONDS (order-dead-man.ts).
   */
  #guardOrder(): void {
    const open = this.job.attempts.at(-1);
    const cancelNow = this.deps.cancelNow;
    if (
      this.#guarded ||
      cancelNow === undefined ||
      open?.orderId === undefined ||
      open.endedAt !== undefined
    ) {
      return;
    }
    this.#guarded = true;
    guardOrderWhileRedisIsSilent({
      orderId: open.orderId,
      silentSinceMs: this.#renewedAt,
      windowMs: this.deps.settings.spendUnverifiedMaxMs,
      probe: () => this.deps.redis.ping(),
      cancelNow,
      log: this.log,
    });
  }

  #noteCancel(job: JobRecord = this.job): void {
    if (job.cancelRequestedAt !== undefined && !isTerminal(job.state)) {
      this.#abortAll(new CancelRequested());
    }
  }

  #abortAll(reason: Error): void {
    if (this.#sticky instanceof OwnershipLost) {
      return; // nothing outranks a lost lease: this run must not touch the job again
    }
    if (this.#sticky instanceof WorkerStopping && !(reason instanceof OwnershipLost)) {
      return; // stopping wins: the next worker will see the cancel
    }
    if (this.#sticky instanceof CancelRequested && reason instanceof CancelRequested) {
      return;
    }
    if (this.#sticky instanceof RecordLost && !(reason instanceof WorkerStopping)) {
      return;
    }
    this.#sticky = reason;
    if (!this.#attempt.signal.aborted) {
      this.#attempt.abort(reason);
    } else if (reason instanceof WorkerStopping) {
      // already aborted for another reason: replace, so the current waits see the stop
      this.#attempt = new AbortController();
      this.#attempt.abort(reason);
    }
  }
}

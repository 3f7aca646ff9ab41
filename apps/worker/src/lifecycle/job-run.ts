import {
  forComponent,
  forJob,
  isTerminal,
  type JobEvent,
  type JobRecord,
  type Logger,
  METRICS,
  type TransitionOptions,
} from '@clore-batch/shared';
import { CancelRequested, WorkerStopping } from './control';
import type { LifecycleDeps } from './deps';

/**
 * One worker's hold on one job: the latest record, a scoped logger, and the signal every wait of
 * the current attempt takes. A cancel (live notification or a periodic re-read) or the worker
 * stopping aborts it; both stay in force for later attempts. Attempt-level reasons (budget, the
 * order ended) abort only the current attempt's signal.
 */
export class JobRun {
  readonly id: string;
  readonly deps: LifecycleDeps;
  /** Aborts only when the worker stops: releases and final writes listen to this one alone. */
  readonly stopSignal: AbortSignal;
  job: JobRecord;
  log: Logger;
  #attempt = new AbortController();
  #sticky: Error | undefined;
  #unsubscribe: (() => Promise<void>) | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #onStop = () => this.#abortAll(new WorkerStopping());

  private constructor(deps: LifecycleDeps, job: JobRecord, stopSignal: AbortSignal) {
    this.deps = deps;
    this.id = job.id;
    this.job = job;
    this.stopSignal = stopSignal;
    this.log = forJob(forComponent(deps.logger, 'lifecycle'), job.id);
  }

  static async open(deps: LifecycleDeps, jobId: string, stopSignal: AbortSignal): Promise<JobRun> {
    const run = new JobRun(deps, await deps.store.get(jobId), stopSignal);
    if (stopSignal.aborted) {
      run.#abortAll(new WorkerStopping());
    } else {
      stopSignal.addEventListener('abort', run.#onStop, { once: true });
    }
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

  get stopping(): boolean {
    return this.#sticky instanceof WorkerStopping;
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
    this.job = await this.deps.store.get(this.id);
    this.#noteCancel();
    return this.job;
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
      await this.deps.onTerminal?.(this.job);
    }
    return this.job;
  }

  async close(): Promise<void> {
    this.stopSignal.removeEventListener('abort', this.#onStop);
    if (this.#timer !== undefined) {
      clearInterval(this.#timer);
    }
    await this.#unsubscribe?.().catch(() => {});
  }

  #noteCancel(job: JobRecord = this.job): void {
    if (job.cancelRequestedAt !== undefined && !isTerminal(job.state)) {
      this.#abortAll(new CancelRequested());
    }
  }

  #abortAll(reason: Error): void {
    if (this.#sticky instanceof WorkerStopping) {
      return; // stopping wins: the next worker will see the cancel
    }
    if (this.#sticky instanceof CancelRequested && reason instanceof CancelRequested) {
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

import type { Logger } from '@clore-batch/shared';

export interface LeaderTaskOptions {
  name: string;
  /** Is this process the leader right now? The task only runs while it is. */
  isLeader: () => boolean;
  /**
   * One round (a poll, a refresh, a batch of cancels). Returns the delay until the next round, or
   * undefined for `intervalMs`. A throw is logged and counted; the loop goes on.
   */
  run: (signal: AbortSignal) => Promise<number | undefined>;
  intervalMs: number;
  /** An early round (wake()) never starts sooner than this after the previous round started. */
  minGapMs: number;
  logger: Logger;
  /** Delay after a failed round (default intervalMs). */
  errorDelayMs?: number;
}

const FAILURES_BEFORE_ERROR = 5;

/**
 * A loop that runs one leader duty on an interval, sooner when woken (debounced by `minGapMs`),
 * never concurrently with itself, and only while the process is the leader. stop() aborts the
 * round in flight (its Clore call or limiter wait) and waits for the loop to end.
 */
export class LeaderTask {
  private running = false;
  private loop: Promise<void> | undefined;
  private abort = new AbortController();
  private requested = false;
  private wakeSleep: (() => void) | undefined;
  private lastStart = Number.NEGATIVE_INFINITY;
  private nextDelayMs = 0;
  /** A cap on the current delay set by retime() since the last round started. */
  private capMs = Number.POSITIVE_INFINITY;
  private rounds = 0;
  private failures = 0;
  private consecutiveFailures = 0;

  constructor(private readonly options: LeaderTaskOptions) {}

  start(): void {
    if (!this.running) {
      this.running = true;
      this.abort = new AbortController();
      this.loop = this.runLoop();
    }
  }

  /** Ask for an early round (no sooner than minGapMs after the last one started). */
  wake(): void {
    this.requested = true;
    this.wakeSleep?.();
  }

  /**
   * Bring the next round to no later than `delayMs` after the previous one started (never later
   * than already scheduled). Unlike wake(), it does not ask for an early round: the demand for a
   * faster cadence appeared (docs/decisions/0055). A call during a round applies to the delay that
   * round returns.
   */
  retime(delayMs: number): void {
    if (delayMs < this.capMs) {
      this.capMs = delayMs;
      this.wakeSleep?.();
    }
  }

  /** The process just became the leader: run at once, whatever the schedule said. */
  promoted(): void {
    this.nextDelayMs = 0;
    this.lastStart = Number.NEGATIVE_INFINITY;
    this.wake();
  }

  stats(): { rounds: number; failures: number } {
    return { rounds: this.rounds, failures: this.failures };
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort(new Error(`fleet task ${this.options.name} stopped`));
    this.wakeSleep?.();
    await this.loop;
  }

  private dueIn(): number {
    const sinceStart = Date.now() - this.lastStart;
    const regular = Math.min(this.nextDelayMs, this.capMs) - sinceStart;
    if (this.requested) {
      return Math.min(regular, this.options.minGapMs - sinceStart);
    }
    return regular;
  }

  private async runLoop(): Promise<void> {
    const { options } = this;
    while (this.running) {
      const wait = this.options.isLeader() ? this.dueIn() : Number.POSITIVE_INFINITY;
      if (wait > 0) {
        // Not the leader: sleep until woken (promotion wakes every task), checking now and then.
        await this.sleep(Math.min(wait, Math.max(options.intervalMs, 1_000)));
        continue;
      }
      this.requested = false;
      this.capMs = Number.POSITIVE_INFINITY;
      this.lastStart = Date.now();
      this.rounds += 1;
      try {
        this.nextDelayMs = (await options.run(this.abort.signal)) ?? options.intervalMs;
        this.consecutiveFailures = 0;
      } catch (error) {
        if (!this.running) {
          break;
        }
        this.failures += 1;
        this.consecutiveFailures += 1;
        this.nextDelayMs = options.errorDelayMs ?? options.intervalMs;
        // A duty that keeps failing leaves every job on stale views: say so louder.
        const level = this.consecutiveFailures >= FAILURES_BEFORE_ERROR ? 'error' : 'warn';
        options.logger[level](
          { err: error, task: options.name, failures: this.failures, consecutive: this.consecutiveFailures },
          `fleet task ${options.name} failed (${(error as Error).message}), ${this.consecutiveFailures} time(s) in a row; next round in ${this.nextDelayMs} ms`,
        );
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeSleep = () => {
        this.wakeSleep = undefined;
        done();
      };
    });
  }
}

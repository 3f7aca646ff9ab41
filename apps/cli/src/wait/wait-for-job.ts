import type { ApiClient } from '../api/api-client';
import type { ApiJob } from '../api/api-job';
import { followStream } from '../api/follow-stream';
import { CliError } from '../cli/cli-error';
import { EXIT } from '../cli/exit-codes';
import type { Io } from '../cli/io';
import { createDisplay, type WaitDisplay } from './display';
import { describeStateEvent, rentedLine } from './status-text';

export interface WaitOptions {
  client: ApiClient;
  io: Io;
  jobId: string;
  /** Log bytes go to stderr (stdout is kept for one JSON document). */
  json: boolean;
  quiet: boolean;
  cancelOnInterrupt: boolean;
  /** How often the status line re-reads the job for spend and server (TTY only; default 3 s). */
  pollMs?: number;
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * Stream a job's log and state changes until it ends, and return the finished job. Ctrl-C: with
 * `cancelOnInterrupt` cancel at once; on a terminal ask "Cancel job <id>? [y/N]"; otherwise (or on
 * "no") stop waiting and leave the job running (CliError `interrupted`). After a cancel it keeps
 * streaming until the job is terminal; a second Ctrl-C stops waiting at once.
 */
export async function waitForJob(options: WaitOptions): Promise<ApiJob> {
  const { client, io, jobId } = options;
  const display = createDisplay({
    jobId,
    logOut: options.json ? io.stderr : io.stdout,
    stderr: io.stderr,
    tty: io.stderrIsTty && !options.json,
    logOnTerminal: !options.json && (io.stdout as { isTTY?: boolean }).isTTY === true,
    quiet: options.quiet,
  });
  const stop = new AbortController();
  const interrupts = new InterruptHandler(options, display, stop);
  const unlisten = io.onSignal((signal) => interrupts.handle(signal));
  const tty = io.stderrIsTty && !options.json;
  const poller = tty ? startPoller(client, jobId, display, options.pollMs ?? 3_000) : undefined;
  // Without the status line, each rental gets a line of its own.
  const rentals =
    tty || options.quiet ? undefined : new RentalLines(client, jobId, display, options.pollMs ?? 3_000);
  try {
    for await (const item of followStream(client, jobId, {
      signal: stop.signal,
      onReconnect: (attempt) => {
        if (attempt === 1 || attempt % 10 === 0) {
          display.line('connection to the API lost; resuming the stream');
        }
      },
    })) {
      if (item.kind === 'log') {
        display.log(item.data);
      } else if (item.kind === 'state') {
        const { state, text, at } = describeStateEvent(item.payload);
        await rentals?.onState(state);
        display.state(state, text, at);
      } else if (item.kind === 'info') {
        const { text, at } = describeStateEvent(item.payload);
        display.line(text, at);
      }
    }
    if (interrupts.stopError) {
      throw interrupts.stopError;
    }
    return await finalJob(client, jobId);
  } finally {
    poller?.stop();
    rentals?.stop();
    unlisten();
    display.close();
  }
}

/** The job once terminal (the stream's `end` comes after the terminal state is stored). */
async function finalJob(client: ApiClient, jobId: string): Promise<ApiJob> {
  for (let tries = 0; ; tries += 1) {
    const job = await client.getJob(jobId);
    if (TERMINAL.has(job.state) || tries >= 20) {
      return job;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function startPoller(client: ApiClient, jobId: string, display: WaitDisplay, everyMs: number) {
  let running = true;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    try {
      display.job(await client.getJob(jobId));
    } catch {
      // the status line is best effort; the stream reports real trouble
    }
    if (running) {
      timer = setTimeout(tick, everyMs);
      timer.unref();
    }
  };
  void tick();
  return {
    stop() {
      running = false;
      clearTimeout(timer);
    },
  };
}

/**
 * "rented server 42 (RTX 3090) at $0.31/h", once per attempt that has an order, read from the job's
 * attempts (with the attempt's start as its time): on every state event (so a replayed history
 * names every rental, in order) and every `everyMs` while the job is provisioning (a server is rented
 * then, minutes before it runs the command).
 */
export class RentalLines {
  private readonly announced = new Set<number>();
  private state: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly client: ApiClient,
    private readonly jobId: string,
    private readonly display: WaitDisplay,
    private readonly everyMs: number,
  ) {}

  /** Before a state event is shown: the rentals so far, then poll while `provisioning`. */
  async onState(state: string | undefined): Promise<void> {
    await this.check();
    this.state = state ?? this.state;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (this.stopped || this.state !== 'provisioning') {
      return;
    }
    this.timer = setTimeout(() => {
      void this.check().then(() => this.schedule());
    }, this.everyMs);
    this.timer.unref();
  }

  private async check(): Promise<void> {
    let job: ApiJob;
    try {
      job = await this.client.getJob(this.jobId);
    } catch {
      return; // best effort: the stream reports real trouble
    }
    for (const attempt of job.attempts ?? []) {
      if (this.stopped || attempt.orderId === undefined || attempt.n === undefined) {
        continue;
      }
      if (!this.announced.has(attempt.n)) {
        this.announced.add(attempt.n);
        this.display.line(rentedLine(attempt), attempt.startedAt);
      }
    }
  }
}

class InterruptHandler {
  /** Set when waiting stops before the job ends; `waitForJob` throws it. */
  stopError: CliError | undefined;
  private cancelling = false;
  private asking = false;

  constructor(
    private readonly options: WaitOptions,
    private readonly display: WaitDisplay,
    private readonly stop: AbortController,
  ) {}

  handle(signal: 'SIGINT' | 'SIGTERM'): void {
    const { jobId } = this.options;
    if (this.cancelling || this.asking) {
      this.detach(
        this.cancelling
          ? `stopped waiting; cancellation of job ${jobId} was requested and goes on without the CLI`
          : `stopped waiting; job ${jobId} keeps running`,
      );
      return;
    }
    if (this.options.cancelOnInterrupt) {
      void this.cancel(signal);
      return;
    }
    if (signal === 'SIGINT' && this.options.io.canAsk) {
      void this.ask();
      return;
    }
    this.detach(`stopped waiting; job ${jobId} keeps running`);
  }

  private async ask(): Promise<void> {
    this.asking = true;
    this.display.pause();
    const answer = await this.options.io.confirm(
      `Cancel job ${this.options.jobId}? [y/N] (N: stop waiting, the job keeps running) `,
    );
    this.asking = false;
    this.display.resume();
    if (answer === 'yes') {
      await this.cancel('SIGINT');
    } else {
      // "no", or Ctrl-C again at the prompt: give the terminal back, leave the job running.
      this.detach(`stopped waiting; job ${this.options.jobId} keeps running`);
    }
  }

  private async cancel(signal: string): Promise<void> {
    this.cancelling = true;
    this.display.line(`${signal}: cancelling job ${this.options.jobId} (Ctrl-C again to stop waiting)`);
    try {
      await this.options.client.cancel(this.options.jobId);
    } catch (error) {
      if (error instanceof CliError && /JOB_ALREADY_TERMINAL/.test(error.message)) {
        return; // it ended meanwhile; the stream delivers the end
      }
      this.display.line(`could not cancel: ${error instanceof Error ? error.message : String(error)}`);
      this.stopError = error instanceof CliError ? error : new CliError(EXIT.apiUnreachable, String(error));
      this.stop.abort();
    }
  }

  private detach(message: string): void {
    const follow = `clore-batch logs ${this.options.jobId} --follow`;
    this.stopError = new CliError(EXIT.interrupted, `${message} (follow it: ${follow})`);
    this.stop.abort();
  }
}

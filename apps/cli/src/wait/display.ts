import type { Writable } from 'node:stream';
import type { ApiJob } from '../api/api-job';
import { type StatusSnapshot, snapshotFromJob, statusLine } from './status-text';

/**
 * Where `--wait` writes. Log bytes go to `logOut` exactly as received (stdout, or stderr under
 * --json so stdout holds one JSON document); everything else goes to stderr: on a terminal a live
 * status line redrawn in place, otherwise plain timestamped lines.
 */
export interface WaitDisplay {
  log(data: Buffer): void;
  /** A state change or a notice, kept in the scrollback; `at` (ISO) is when it happened, default now. */
  line(text: string, at?: string): void;
  /** A state change: also updates the status line's state. */
  state(state: string | undefined, text: string, at?: string): void;
  job(job: ApiJob): void;
  /** Stop drawing (while a question is asked); `resume` draws again. */
  pause(): void;
  resume(): void;
  close(): void;
}

export interface DisplayOptions {
  jobId: string;
  logOut: Writable;
  stderr: Writable;
  /** stderr is a terminal: live status line. */
  tty: boolean;
  /** Log output shares the terminal with the status line (stdout is the same terminal). */
  logOnTerminal: boolean;
  quiet: boolean;
  now?: () => number;
}

export function createDisplay(options: DisplayOptions): WaitDisplay {
  return options.tty ? new TtyDisplay(options) : new PlainDisplay(options);
}

class PlainDisplay implements WaitDisplay {
  constructor(private readonly options: DisplayOptions) {}

  log(data: Buffer): void {
    this.options.logOut.write(data);
  }

  line(text: string, at?: string): void {
    if (!this.options.quiet) {
      // An event's own time (replayed history keeps it), else now.
      const when = at === undefined ? Number.NaN : Date.parse(at);
      const ms = Number.isFinite(when) ? when : (this.options.now ?? Date.now)();
      const time = new Date(ms).toISOString().slice(11, 19);
      this.options.stderr.write(`clore-batch: [${time}] ${text}\n`);
    }
  }

  state(_state: string | undefined, text: string, at?: string): void {
    this.line(text, at);
  }

  job(): void {}
  pause(): void {}
  resume(): void {}
  close(): void {}
}

const CLEAR = '\r\x1b[2K';

class TtyDisplay implements WaitDisplay {
  private snapshot: StatusSnapshot;
  private drawn = false;
  private paused = false;
  /** The log's last byte was not a newline: drawing now would overwrite a partial line. */
  private midLine = false;
  /** Log bytes held back while a question is on the terminal. */
  private held: Buffer[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly options: DisplayOptions) {
    this.now = options.now ?? Date.now;
    this.snapshot = { jobId: options.jobId, state: 'queued', since: this.now() };
    this.timer = setInterval(() => this.draw(), 1_000);
    this.timer.unref();
  }

  log(data: Buffer): void {
    if (data.length === 0) {
      return;
    }
    if (this.paused && this.options.logOnTerminal) {
      this.held.push(data);
      return;
    }
    if (this.options.logOnTerminal) {
      this.erase();
    }
    this.options.logOut.write(data);
    this.midLine = this.options.logOnTerminal && data[data.length - 1] !== 0x0a;
    this.draw();
  }

  line(text: string): void {
    if (this.options.quiet) {
      return;
    }
    this.erase();
    const prefix = this.midLine ? '\n' : '';
    this.midLine = false;
    this.options.stderr.write(`${prefix}clore-batch: ${text}\n`);
    this.draw();
  }

  state(state: string | undefined, text: string): void {
    if (state) {
      this.snapshot = { ...this.snapshot, state };
    }
    this.line(text);
  }

  job(job: ApiJob): void {
    this.snapshot = snapshotFromJob(this.snapshot, job);
    this.draw();
  }

  pause(): void {
    this.erase();
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    const held = Buffer.concat(this.held);
    this.held = [];
    this.log(held);
    this.draw();
  }

  close(): void {
    clearInterval(this.timer);
    this.paused = false;
    this.log(Buffer.concat(this.held));
    this.held = [];
    this.erase();
  }

  private draw(): void {
    if (this.paused || this.midLine || this.options.quiet) {
      return;
    }
    const columns = (this.options.stderr as { columns?: number }).columns || 100;
    const text = statusLine(this.snapshot, this.now()).slice(0, Math.max(20, columns - 1));
    this.options.stderr.write(`${CLEAR}\x1b[2m${text}\x1b[0m`);
    this.drawn = true;
  }

  private erase(): void {
    if (this.drawn) {
      this.options.stderr.write(CLEAR);
      this.drawn = false;
    }
  }
}

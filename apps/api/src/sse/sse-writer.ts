import type { ServerResponse } from 'node:http';

/**
 * Writes Server-Sent Events to a raw response with backpressure: `send` resolves only once the
 * socket has taken the bytes (after 'drain' when its buffer is full), so a slow reader holds at most
 * one event in memory. Heartbeat comments keep proxies from closing an idle stream; none is written
 * while a write waits for drain.
 */
export class SseWriter {
  private closed = false;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly raw: ServerResponse,
    heartbeatMs: number,
  ) {
    raw.on('close', () => {
      this.closed = true;
    });
    this.heartbeat = setInterval(() => {
      if (!this.closed && !raw.writableNeedDrain) {
        raw.write(': keep-alive\n\n');
      }
    }, heartbeatMs);
    this.heartbeat.unref();
  }

  get isClosed(): boolean {
    return this.closed || this.raw.destroyed;
  }

  /** One event; `data` may span lines (each becomes a `data:` line). */
  async send(event: string, data: string, id?: string): Promise<void> {
    if (this.isClosed) {
      return;
    }
    const lines = data
      .split(/\r\n|\r|\n/)
      .map((line) => `data: ${line}\n`)
      .join('');
    const text = `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\n${lines}\n`;
    if (!this.raw.write(text)) {
      await this.drained();
    }
  }

  /** Resolves on 'drain' or 'close', removing both listeners either way. */
  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.raw.off('drain', done);
        this.raw.off('close', done);
        resolve();
      };
      this.raw.on('drain', done);
      this.raw.on('close', done);
    });
  }

  async comment(text: string): Promise<void> {
    if (!this.isClosed && !this.raw.write(`: ${text}\n\n`)) {
      await this.drained();
    }
  }

  end(): void {
    clearInterval(this.heartbeat);
    if (!this.isClosed) {
      this.raw.end();
    }
  }
}

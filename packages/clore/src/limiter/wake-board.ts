import type { Logger } from '@clore-batch/shared';
import type { Redis } from 'ioredis';

interface Entry {
  waker?: () => void;
  /** Named on the channel while not waiting (between two tries): the next wait ends at once. */
  woken: boolean;
}

/**
 * Local waiters of one limiter, woken early when the limiter's channel names their ticket (the
 * new head of the waiting room). Without a message, every wait ends after its timeout anyway, so a
 * lost message or a broken subscription costs latency, never correctness.
 */
export class WakeBoard {
  private readonly entries = new Map<string, Entry>();
  private subscriber: Redis | undefined;
  private subscribing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly redis: Redis,
    private readonly channel: string,
    private readonly log: Logger,
  ) {}

  /** Subscribe once (best effort: polling covers a failure, and the next call tries again). */
  ready(): Promise<void> {
    if (this.closed) {
      return Promise.resolve();
    }
    this.subscribing ??= this.subscribe();
    return this.subscribing;
  }

  private async subscribe(): Promise<void> {
    const subscriber = this.redis.duplicate({ lazyConnect: true });
    this.subscriber = subscriber;
    subscriber.on('error', () => {
      // ioredis reconnects and resubscribes on its own; waits time out meanwhile.
    });
    subscriber.on('message', (channel: string, ticket: string) => {
      const entry = channel === this.channel ? this.entries.get(ticket) : undefined;
      if (entry === undefined) {
        return;
      }
      if (entry.waker === undefined) {
        entry.woken = true;
      } else {
        entry.waker();
      }
    });
    try {
      await subscriber.connect();
      await subscriber.subscribe(this.channel);
    } catch (error) {
      this.log.warn({ err: error }, 'limiter wake-up subscription failed; waiting by polling');
      subscriber.disconnect();
      this.subscriber = undefined;
      this.subscribing = undefined;
    }
  }

  enter(ticket: string): void {
    this.entries.set(ticket, { woken: false });
  }

  leave(ticket: string): void {
    this.entries.get(ticket)?.waker?.();
    this.entries.delete(ticket);
  }

  /** Resolve after `ms` or when `ticket` is named on the channel; reject when `signal` aborts. */
  wait(ticket: string, ms: number, signal?: AbortSignal): Promise<void> {
    const entry = this.entries.get(ticket) ?? { woken: false };
    this.entries.set(ticket, entry);
    if (entry.woken) {
      entry.woken = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        delete entry.waker;
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        done();
        reject(signal?.reason instanceof Error ? signal.reason : new Error('acquire aborted'));
      };
      const timer = setTimeout(() => {
        done();
        resolve();
      }, ms);
      entry.waker = () => {
        done();
        resolve();
      };
      if (signal?.aborted === true) {
        onAbort();
      } else {
        signal?.addEventListener('abort', onAbort, { once: true });
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.subscribing?.catch(() => {});
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    subscriber?.disconnect();
  }
}

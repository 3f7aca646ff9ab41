import type { Redis } from 'ioredis';
import type { Logger } from '../logging/logger';

export type LiveListener = (message: string) => void;

interface Channel {
  listeners: Set<LiveListener>;
  /** Resolves once Redis confirmed the subscription. */
  ready: Promise<unknown>;
}

/**
 * One subscriber connection per store, shared by every follower: channels are subscribed while at
 * least one listener wants them. ioredis re-subscribes after a reconnect; messages published while
 * disconnected are lost, which is why followers also re-read on a timer.
 */
export class LiveHub {
  private subscriber: Redis | undefined;
  private readonly channels = new Map<string, Channel>();
  private closed = false;

  constructor(
    private readonly redis: Redis,
    private readonly logger?: Logger,
  ) {}

  /** Resolves once the subscription is active; the returned function removes the listener. */
  async subscribe(channel: string, listener: LiveListener): Promise<() => Promise<void>> {
    if (this.closed) {
      throw new Error('the job store is closed');
    }
    const subscriber = this.connection();
    let entry = this.channels.get(channel);
    if (!entry) {
      entry = { listeners: new Set(), ready: subscriber.subscribe(channel) };
      this.channels.set(channel, entry);
    }
    entry.listeners.add(listener);
    await entry.ready;
    const current = entry;
    return async () => {
      current.listeners.delete(listener);
      if (current.listeners.size === 0 && this.channels.get(channel) === current) {
        this.channels.delete(channel);
        if (!this.closed && subscriber.status !== 'end') {
          await subscriber.unsubscribe(channel).catch(() => undefined);
        }
      }
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.channels.clear();
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    if (subscriber && subscriber.status !== 'end') {
      await subscriber.quit().catch(() => subscriber.disconnect());
    }
  }

  private connection(): Redis {
    if (!this.subscriber) {
      const subscriber = this.redis.duplicate();
      subscriber.on('error', (error: Error) => {
        this.logger?.warn({ err: error }, 'job store subscriber connection error (ioredis reconnects)');
      });
      subscriber.on('message', (channel: string, message: string) => {
        for (const listener of this.channels.get(channel)?.listeners ?? []) {
          listener(message);
        }
      });
      this.subscriber = subscriber;
    }
    return this.subscriber;
  }
}

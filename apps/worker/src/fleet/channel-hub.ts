import type { Logger } from '@clore-batch/shared';
import type { Redis } from 'ioredis';

export type ChannelListener = (message: string) => void;

/**
 * One pub/sub connection shared by every fleet service of a process: listeners register per
 * channel; the hub subscribes to each channel once. The subscriber connection is the caller's (it
 * is only unsubscribed on close) or the hub's own duplicate (quit on close).
 */
export class ChannelHub {
  private readonly listeners = new Map<string, Set<ChannelListener>>();
  private readonly subscriber: Redis;
  private readonly owned: boolean;
  private readonly log: Logger;
  private readonly onMessage = (channel: string, message: string) => {
    for (const listener of this.listeners.get(channel) ?? []) {
      try {
        listener(message);
      } catch (error) {
        this.log.warn({ err: error, channel }, 'fleet channel listener threw; ignored');
      }
    }
  };

  constructor(options: { redis: Redis; subscriber?: Redis; logger: Logger }) {
    this.owned = options.subscriber === undefined;
    this.subscriber = options.subscriber ?? options.redis.duplicate();
    this.log = options.logger;
    this.subscriber.on('message', this.onMessage);
    if (this.owned) {
      // Errors are retried by ioredis; without a listener they would be printed as unhandled.
      this.subscriber.on('error', (error: Error) =>
        this.log.warn({ err: error }, 'fleet subscriber connection error; ioredis reconnects'),
      );
    }
  }

  /** Subscribe to the channels (once, before use, so no message sent after start() is missed). */
  async subscribe(channels: readonly string[]): Promise<void> {
    await this.subscriber.subscribe(...channels);
  }

  /** Listen to a channel; returns the function that stops listening. */
  listen(channel: string, listener: ChannelListener): () => void {
    let set = this.listeners.get(channel);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(channel, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  async close(channels: readonly string[]): Promise<void> {
    this.subscriber.off('message', this.onMessage);
    this.listeners.clear();
    if (this.owned) {
      await this.subscriber.quit().catch(() => this.subscriber.disconnect());
    } else {
      await this.subscriber.unsubscribe(...channels).catch(() => undefined);
    }
  }
}

import { forComponent, type JobStore, type Logger } from '@clore-batch/shared';
import type { Queue } from 'bullmq';
import { enqueueWebhook } from './enqueue-webhook';

/** Entries read per round trip. */
const BATCH = 100;

export interface WebhookOutbox {
  /** A pass over the outbox that starts now or after the one in progress; resolves with the entries moved. */
  drain(): Promise<number>;
  stop(): Promise<void>;
}

export interface WebhookOutboxDeps {
  store: JobStore;
  /** The WEBHOOKS_QUEUE queue. */
  webhookQueue: Queue;
  logger: Logger;
  /** How often to look without a wake-up (pub/sub messages are lost while disconnected). Default 5 s. */
  pollMs?: number;
}

/**
 * The one place that raises terminal effects (docs/decisions/0063): moves each outbox entry the store
 * wrote with a terminal state (`store.outboxEntries`) into WEBHOOKS_QUEUE as `<jobId>.<state>`, and
 * removes the entry only after the add succeeded. A crash in between leaves the entry, and the next
 * pass adds it again under the same BullMQ job id, which BullMQ keeps once: nothing lost, nothing
 * delivered twice. Several API processes may drain at once for the same reason. It drains on start
 * (entries left while no API ran), on each wake-up from the store and every `pollMs`.
 */
export async function startWebhookOutbox(deps: WebhookOutboxDeps): Promise<WebhookOutbox> {
  const log = forComponent(deps.logger, 'webhook-outbox');
  let running: Promise<number> | undefined;
  /** One pass to run after the current one: however many wake-ups came meanwhile, one more pass serves them. */
  let queued: Promise<number> | undefined;
  let stopped = false;

  async function pass(): Promise<number> {
    let moved = 0;
    for (;;) {
      const entries = await deps.store.outboxEntries(BATCH);
      for (const entry of entries) {
        await enqueueWebhook(deps.webhookQueue, { jobId: entry.jobId, state: entry.state });
        await deps.store.outboxDone(entry);
        moved += 1;
      }
      if (entries.length < BATCH || stopped) {
        return moved;
      }
    }
  }

  function drain(): Promise<number> {
    if (queued !== undefined) {
      return queued;
    }
    if (running === undefined) {
      running = pass().finally(() => {
        running = undefined;
      });
      return running;
    }
    queued = running
      .catch(() => 0)
      .then(() => {
        queued = undefined;
        return stopped ? 0 : drain();
      });
    return queued;
  }

  const kick = () => {
    if (!stopped) {
      drain().catch((error: unknown) =>
        log.error({ err: error }, 'webhook outbox drain failed; trying again'),
      );
    }
  };
  const unwatch = await deps.store.watchOutbox(kick);
  const timer = setInterval(kick, deps.pollMs ?? 5_000);
  timer.unref();
  kick();
  return {
    drain,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await unwatch().catch(() => undefined);
      await queued?.catch(() => undefined);
      await running?.catch(() => undefined);
    },
  };
}

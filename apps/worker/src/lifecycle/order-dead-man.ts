import type { Logger } from '@clore-batch/shared';

export interface DeadManOptions {
  orderId: number;
  /** performance.now() of the last moment Redis was known to answer (the last lease renewal). */
  silentSinceMs: number;
  /** SPEND_UNVERIFIED_MAX_SECONDS: how long an order may bill with nothing verifying it. */
  windowMs: number;
  /** Resolves when Redis answers (a PING); rejects or hangs while it does not. */
  probe: () => Promise<unknown>;
  /** The direct cancel (deps.cancelNow: no Redis, no shared limiter). */
  cancelNow: (orderId: number) => Promise<void>;
  log: Logger;
  /** How long a probe may take before Redis counts as silent (default 1 s). */
  probeTimeoutMs?: number;
}

const probeTimeout = (ms: number) =>
  new Promise<false>((resolve) => setTimeout(() => resolve(false), ms).unref());

/**
 * Redis went silent under a running order (docs/decisions/0125): the lease could not be renewed, so
 * the run has left the job, and with Redis gone nothing else can verify the spend, record a stop or
 * queue a cancel, and no worker can take the job over. This guard, left behind by the run, probes
 * Redis every second: as soon as it answers, it stands down (the job's next owner, the budget watch
 * and the reaper work again); if Redis stays silent until the spend has gone unverified for the
 * window, it cancels the order straight at the provider, once. Its timers never keep the process up.
 */
export function guardOrderWhileRedisIsSilent(options: DeadManOptions): void {
  const timeoutMs = options.probeTimeoutMs ?? 1_000;
  const tick = async (): Promise<void> => {
    const answered = await Promise.race([
      options.probe().then(
        () => true,
        () => false,
      ),
      probeTimeout(timeoutMs),
    ]);
    if (answered) {
      options.log.info({ orderId: options.orderId }, 'Redis answers again: the order is left to the job');
      return;
    }
    if (performance.now() - options.silentSinceMs >= options.windowMs) {
      try {
        await options.cancelNow(options.orderId);
        options.log.warn(
          { orderId: options.orderId },
          `Redis silent for ${Math.round((performance.now() - options.silentSinceMs) / 1000)} s: order ${options.orderId} cancelled straight at the provider (its spend cannot be verified)`,
        );
        return;
      } catch (error) {
        options.log.error(
          { orderId: options.orderId, error: (error as Error).message },
          'the direct cancel failed; trying again',
        );
      }
    }
    setTimeout(() => void tick(), 1_000).unref();
  };
  void tick();
}

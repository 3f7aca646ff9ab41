import type { Logger } from '@clore-batch/shared';

/** A pass that runs every `intervalMs` and on demand, never two at once. */
export interface PeriodicPass<T> {
  /** Run a pass now (or join the one running) and return its result. */
  runOnce(): Promise<T>;
  /** No more passes; waits for the running one. */
  stop(): Promise<void>;
}

/** Run `pass` every `intervalMs` (the timer does not keep the process alive); a failure is logged as `what failed`. */
export function startPeriodicPass<T>(
  pass: () => Promise<T>,
  options: { intervalMs: number; log: Logger; what: string },
): PeriodicPass<T> {
  let running: Promise<T> | undefined;
  const runOnce = () => {
    running ??= pass().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => {
    runOnce().catch((error: unknown) => options.log.error({ err: error }, `${options.what} failed`));
  }, options.intervalMs);
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}

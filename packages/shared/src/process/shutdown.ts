import type { Logger } from 'pino';

export interface ShutdownOptions {
  /** Give up on a clean stop after this long and exit 1 (default 15 s): a process must not hang. */
  deadlineMs?: number;
  /** What to say when a stop begins. */
  message?: string;
  /** For tests: what ends the process (default process.exit). */
  exit?: (code: number) => void;
  /** For tests: where signals come from (default process). */
  signals?: Pick<NodeJS.Process, 'on'>;
}

/**
 * SIGTERM/SIGINT stop the process cleanly: `close()` once, exit 0 when it finishes, 1 when it fails
 * or passes the deadline (e.g. Redis is down and a client waits for it forever). A second signal
 * exits at once.
 */
export function stopOnSignals(
  logger: Logger,
  close: () => Promise<void>,
  options: ShutdownOptions = {},
): void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const deadlineMs = options.deadlineMs ?? 15_000;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, `${signal} again: exiting now`);
      exit(1);
      return;
    }
    stopping = true;
    logger.info({ signal }, options.message ?? `${signal}: stopping`);
    const timer = setTimeout(() => {
      logger.error({ deadlineMs }, `could not stop cleanly within ${deadlineMs} ms; exiting`);
      exit(1);
    }, deadlineMs);
    timer.unref();
    close().then(
      () => {
        clearTimeout(timer);
        exit(0);
      },
      (error: unknown) => {
        clearTimeout(timer);
        logger.error({ err: error }, 'error while stopping');
        exit(1);
      },
    );
  };
  const signals = options.signals ?? process;
  signals.on('SIGTERM', () => stop('SIGTERM'));
  signals.on('SIGINT', () => stop('SIGINT'));
}

/** Report a start-up failure (e.g. CONFIG_INVALID, which lists every bad variable) without a stack. */
export function exitOnStartupError(service: string): (error: unknown) => never {
  return (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`clore-batch ${service}: ${message}\n`);
    process.exit(1);
  };
}

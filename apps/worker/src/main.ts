import { createLogger, loadConfig } from '@clore-batch/shared';
import { startWorker } from './worker/start-worker';

/**
 * The worker process: config, then everything startWorker builds. SIGTERM/SIGINT stop taking jobs
 * and leave running ones on their servers for the next worker to resume.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger({ level: config.LOG_LEVEL, base: { service: 'worker' } });
  const running = await startWorker({ config, logger });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      return;
    }
    stopping = true;
    logger.info({ signal }, `${signal}: stopping; running jobs stay on their servers for the next worker`);
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ error: (error as Error).message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`clore-batch worker: ${(error as Error).message}\n`);
  process.exit(1);
});

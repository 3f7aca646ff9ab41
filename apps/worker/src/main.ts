import { createLogger, exitOnStartupError, loadConfig, stopOnSignals } from '@clore-batch/shared';
import { startWorker } from './worker/start-worker';

/**
 * The worker process: config, then everything startWorker builds. SIGTERM/SIGINT stop taking jobs
 * and leave running ones on their servers for the next worker to resume.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger({ level: config.LOG_LEVEL, base: { service: 'worker' } });
  const running = await startWorker({ config, logger });
  stopOnSignals(logger, running.close, {
    message: 'stopping; running jobs stay on their servers for the next worker',
  });
}

main().catch(exitOnStartupError('worker'));

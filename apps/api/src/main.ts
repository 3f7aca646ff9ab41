import { createLogger, loadConfig } from '@clore-batch/shared';
import { createDashboardPlugin } from './dashboard/dashboard-plugin';
import { startApi } from './start-api';

/** Composition root: config, start, and a clean stop on SIGTERM/SIGINT. */
const config = loadConfig(process.env);
const logger = createLogger({ level: config.LOG_LEVEL, base: { service: 'api' } });
const api = await startApi(config, { logger, plugins: [createDashboardPlugin()] });

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    if (stopping) {
      return;
    }
    stopping = true;
    logger.info({ signal }, 'stopping the api');
    api.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  });
}

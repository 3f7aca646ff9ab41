import { createLogger, exitOnStartupError, loadConfig, stopOnSignals } from '@clore-batch/shared';
import { createDashboardPlugin } from './dashboard/dashboard-plugin';
import { startApi } from './start-api';

/** Composition root: config, start, and a clean stop on SIGTERM/SIGINT (bounded: never hangs). */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger({ level: config.LOG_LEVEL, base: { service: 'api' } });
  const api = await startApi(config, { logger, plugins: [createDashboardPlugin()] });
  stopOnSignals(logger, api.close, { message: 'stopping the api' });
}

main().catch(exitOnStartupError('api'));

/**
 * A worker OS process for the chaos suite: what src/main.ts does (config from the environment,
 * `startWorker`, SIGTERM closes it), plus the scaled lifecycle and fleet timings of the e2e kit,
 * passed as JSON in argv[2] (a 2 s leader lease instead of 15 s, so a killed leader is replaced
 * quickly). SIGKILL ends it with no cleanup at all, which is the point.
 *
 *   env … node --import tsx test/chaos/worker-process.ts '{"settings":{…},"fleetSettings":{…}}'
 */
import { createLogger, loadConfig } from '@clore-batch/shared';
import type { FleetSettings } from '../../src/fleet/fleet-settings';
import type { LifecycleSettings } from '../../src/lifecycle/deps';
import { startWorker } from '../../src/worker/start-worker';

interface Overrides {
  settings?: Partial<LifecycleSettings>;
  fleetSettings?: Partial<FleetSettings>;
}

const overrides = JSON.parse(process.argv[2] ?? '{}') as Overrides;
const config = loadConfig(process.env);
const logger = createLogger({ level: config.LOG_LEVEL, base: { service: 'chaos-worker' } });
const running = await startWorker({
  config,
  logger,
  ...(overrides.settings === undefined ? {} : { settings: overrides.settings }),
  ...(overrides.fleetSettings === undefined ? {} : { fleetSettings: overrides.fleetSettings }),
});
process.stdout.write('chaos-worker ready\n');
process.once('SIGTERM', () => {
  running.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});

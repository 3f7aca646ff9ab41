import { afterEach, test as base } from 'vitest';
import { type FleetKit, type FleetKitOptions, startFleetKit } from './fleet-kit';
import { perFile } from './per-file';

/**
 * The fleet suites' `test` (call it at the top level of the file): its `kit` fixture is one
 * FleetKit per file (a real Redis and the simulator, closed after the file's last test), reset
 * before each test (a new prefix, the simulator reset). Every fleet, limiter and connection a test
 * made is stopped in an afterEach, before the leak check runs (see per-file.ts).
 */
export function fleetTest(options: FleetKitOptions = {}) {
  let current: FleetKit | undefined;
  afterEach(async () => {
    await current?.stopAll();
  });
  return base
    .extend(
      'fleetFile',
      { scope: 'file', auto: true },
      perFile(
        () => startFleetKit(options),
        (kit) => kit.close(),
      ),
    )
    .extend('kit', async ({ fleetFile }) => {
      await fleetFile.reset();
      current = fleetFile;
      return fleetFile;
    });
}

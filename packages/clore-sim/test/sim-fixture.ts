import { test as redisTest } from '@clore-batch/testing/fixtures';
import type { TestAPI } from 'vitest';
import type { SimOptions } from '../src/options';
import { type SimHandle, startSimulator } from '../src/start';

/** Start a simulator over HTTP on a free port: the test's `simOptions`, then `options` on top. */
export type StartSim = (options?: SimOptions) => Promise<SimHandle>;

export interface SimFixtures {
  /** Defaults for every simulator a test starts (a file sets its own: `test.extend('simOptions', ...)`). */
  simOptions: SimOptions;
  /** Starts simulators that are closed, with every sshd and process of their orders, after the test. */
  startSim: StartSim;
}

/** `base` (any vitest test API, e.g. the store fixture's) plus the simulator fixtures. */
export function withSim<C extends object>(base: TestAPI<C>) {
  return base.extend<SimFixtures>({
    simOptions: {},
    startSim: async ({ simOptions }, use) => {
      const started: SimHandle[] = [];
      try {
        await use(async (options = {}) => {
          const sim = await startSimulator({ ...simOptions, ...options });
          started.push(sim);
          return sim;
        });
      } finally {
        await Promise.all(started.map((sim) => sim.close()));
      }
    },
  });
}

export const test = withSim(redisTest);
export const it = test;

export { availableServer, type CallResult, callApi, FAST, orderBody, simGet, simSend } from './sim-api';

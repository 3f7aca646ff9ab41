import { type StartRedisOptions, startRedis } from '@clore-batch/testing';
import { afterEach, test as base } from 'vitest';
import { type Kit, type KitOptions, startKit } from '../support/e2e-kit';
import { perFile } from '../support/per-file';
import { spawnWorker, type WorkerProcess } from './chaos-kit';

/** One chaos case: the e2e kit on the file's Redis and the worker processes it spawned. */
export interface ChaosCase {
  /** Start the e2e kit (the API and the simulator; a worker in-process unless `noWorker`). */
  start(options?: KitOptions): Promise<Kit>;
  /** Spawn a worker OS process for the started kit. */
  worker(env?: Record<string, string>): WorkerProcess;
}

/**
 * The chaos suites' `test` (call it at the top level of the file): `redis` is a private Redis per
 * file (`appendOnly` for the suite that restarts it); `chaos` is one case. After each case its
 * worker processes are stopped, then its kit closed, in an afterEach before the leak check runs
 * (see ../support/per-file.ts).
 */
export function chaosTest(redisOptions: Pick<StartRedisOptions, 'appendOnly'> = {}) {
  let kit: Kit | undefined;
  const workers: WorkerProcess[] = [];
  afterEach(async () => {
    for (const worker of workers.splice(0)) {
      await worker.stop();
    }
    await kit?.close();
    kit = undefined;
  });
  return base
    .extend(
      'redis',
      { scope: 'file', auto: true },
      perFile(
        () => startRedis({ private: true, ...redisOptions }),
        (redis) => redis.stop(),
      ),
    )
    .extend(
      'chaos',
      async ({ redis }): Promise<ChaosCase> => ({
        async start(options) {
          kit = await startKit(redis.url, options);
          return kit;
        },
        worker(env) {
          if (kit === undefined) {
            throw new Error('chaos.worker() before chaos.start()');
          }
          const worker = spawnWorker(kit, env);
          workers.push(worker);
          return worker;
        },
      }),
    );
}

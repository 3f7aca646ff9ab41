/**
 * This package's own leak check: every child a test file spawned with `spawnTracked` has exited by
 * the end of the file. (The full check in @clore-batch/testing builds on this package, so this one
 * cannot use it.)
 */
import { afterAll } from 'vitest';
import { liveChildren } from '../src/child';
import { waitFor } from '../src/wait-for';

afterAll(async () => {
  await waitFor(() => liveChildren().length === 0, {
    timeoutMs: 3_000,
    message: 'every spawned child exited',
  }).catch((error: Error) => {
    const names = liveChildren().map((c) => `${c.spawnfile} (pid ${c.pid})`);
    throw new Error(`${error.message}; still running: ${names.join(', ')}`);
  });
});

import { afterAll } from 'vitest';

/**
 * A fixture function (for `{ scope: 'file', auto: true }`) whose value is closed in an afterAll hook,
 * not in vitest's fixture teardown: @clore-batch/testing's leak check compares resources in the
 * setup file's afterAll (and afterEach), and vitest tears fixtures down only after those hooks.
 * Hooks run in stack order, so the afterAll registered here (when the test file builds its `test`,
 * at its top level) runs before the check's. `auto` opens the value before the first test's
 * snapshot, so no test is charged with it.
 */
export function perFile<T>(open: () => Promise<T>, close: (value: T) => Promise<unknown>): () => Promise<T> {
  let value: T | undefined;
  afterAll(async () => {
    if (value !== undefined) {
      const opened = value;
      value = undefined;
      await close(opened);
    }
  });
  return async () => {
    value = await open();
    return value;
  };
}

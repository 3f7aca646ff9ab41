/**
 * A vitest setup file: fails any test, and any file's beforeAll/afterAll pair, that leaves child
 * processes, listening servers or tracked clients open. Use with
 * `setupFiles: ['@clore-batch/testing/leak-check-setup']`.
 */
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { assertNoLeaks, type ResourceSnapshot, snapshotResources } from './leak-check';

let fileBaseline: ResourceSnapshot;
let testBaseline: ResourceSnapshot;

beforeAll(() => {
  fileBaseline = snapshotResources();
});

beforeEach(() => {
  testBaseline = snapshotResources();
});

afterEach(async () => {
  await assertNoLeaks(testBaseline);
});

afterAll(async () => {
  await assertNoLeaks(fileBaseline);
});

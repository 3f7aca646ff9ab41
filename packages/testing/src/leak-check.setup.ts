/**
 * A vitest setup file: fails any test, and any file, that leaves child processes, listening servers
 * or tracked clients open. Use with `setupFiles: ['@clore-batch/testing/leak-check-setup']`.
 *
 * Around hooks, not before/after ones: a test's check runs after its test-scoped fixtures are torn
 * down, and a file's check after its file-scoped fixtures are (vitest tears those down after the
 * file's afterAll hooks). What a file-scoped fixture opened during a test is not that test's leak
 * (`holdAcrossTests`). Tests that run side by side are checked as one group (`SideBySideCheck`).
 */
import { aroundAll, aroundEach } from 'vitest';
import { assertNoLeaks, SideBySideCheck, snapshotResources } from './leak-check';

aroundAll(async (runSuite) => {
  const baseline = snapshotResources();
  await runSuite();
  await assertNoLeaks(baseline);
});

const sideBySide = new SideBySideCheck();

aroundEach(async (runTest, { task }) => {
  if (task.concurrent) {
    sideBySide.enter();
    try {
      await runTest();
    } catch (error) {
      await sideBySide.leave(false);
      throw error;
    }
    await sideBySide.leave(true);
    return;
  }
  const baseline = snapshotResources();
  await runTest();
  await assertNoLeaks(baseline);
});

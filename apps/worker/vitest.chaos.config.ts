import { defineConfig } from 'vitest/config';

/** The chaos suite (`pnpm --filter @clore-batch/worker chaos`): test/chaos/*.chaos.test.ts, one file at a time. */
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.chaos.test.ts'],
    setupFiles: ['@clore-batch/testing/leak-check-setup'],
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest/results-chaos.json' },
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 60_000,
  },
});

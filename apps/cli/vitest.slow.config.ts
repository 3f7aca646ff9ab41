import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.slow.test.ts', 'test/**/*.slow.test.ts'],
    setupFiles: ['@clore-batch/testing/leak-check-setup'],
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest/results-slow.json' },
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 60_000,
  },
});

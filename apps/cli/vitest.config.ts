import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/*.slow.test.ts', '**/node_modules/**'],
    setupFiles: ['@clore-batch/testing/leak-check-setup'],
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest/results.json' },
    // Each e2e file starts a whole sandbox (Redis, simulator, api, worker): one file at a time.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/*.slow.test.ts', '**/node_modules/**'],
    setupFiles: ['@clore-batch/testing/leak-check-setup'],
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest/results.json' },
    testTimeout: 30_000,
    // One file at a time: the limiter tests measure gaps of tens of ms, and the simulator tests beside
    // them (sshd per order) add enough load on 2 cores to blur that. Costs about 10 s of 70.
    fileParallelism: false,
    hookTimeout: 30_000,
  },
});

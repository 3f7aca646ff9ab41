import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.slow.test.ts', 'test/**/*.slow.test.ts'],
    setupFiles: ['@clore-batch/testing/leak-check-setup'],
    testTimeout: 300_000,
    hookTimeout: 60_000,
  },
});

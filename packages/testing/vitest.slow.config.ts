import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.slow.test.ts', 'test/**/*.slow.test.ts'],
    setupFiles: ['./src/leak-check.setup.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest/results-slow.json' },
    testTimeout: 300_000,
    hookTimeout: 60_000,
  },
});

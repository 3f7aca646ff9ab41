import { defineConfig, type ViteUserConfig } from 'vitest/config';

type TestOptions = NonNullable<ViteUserConfig['test']>;

/** What sets the suites apart: the files, the JSON report, the timeouts. */
const SUITES = {
  default: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/*.slow.test.ts', '**/*.chaos.test.ts', '**/node_modules/**'],
    outputFile: { json: '.vitest/results.json' },
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
  slow: {
    include: ['src/**/*.slow.test.ts', 'test/**/*.slow.test.ts'],
    outputFile: { json: '.vitest/results-slow.json' },
    testTimeout: 300_000,
    hookTimeout: 60_000,
  },
  chaos: {
    include: ['test/chaos/**/*.chaos.test.ts'],
    outputFile: { json: '.vitest/results-chaos.json' },
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 60_000,
  },
} satisfies Record<string, TestOptions>;

/**
 * An app's vitest config for one suite (`vitest.config.ts` the default one, `vitest.slow.config.ts`,
 * the worker's `vitest.chaos.config.ts`): every test file checked for leaks by
 * @clore-batch/testing's setup file, a JSON report under .vitest/, and `test` over the suite's own.
 */
export function suiteConfig(suite: keyof typeof SUITES, test: TestOptions = {}) {
  return defineConfig({
    test: {
      ...SUITES[suite],
      setupFiles: ['@clore-batch/testing/leak-check-setup'],
      reporters: ['default', 'json'],
      ...test,
    },
  });
}

// Plain JavaScript: vitest loads a package's vitest.config.ts through Node, which cannot import a
// workspace package's TypeScript. Types are in vitest-config.d.mts. The one home of the suites'
// settings: every package's vitest.config.ts, vitest.slow.config.ts and the worker's
// vitest.chaos.config.ts call `suiteConfig` (packages/runtime, below this package, repeats the
// default suite's settings by hand).
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

const LEAK_CHECK = '@clore-batch/testing/leak-check-setup';

/** What sets the suites apart: the files, the JSON report, the timeouts. */
const SUITES = {
  /**
   * `pnpm test`: `src/` and `test/` `*.test.ts`, not the slow or chaos files; 30 s timeouts. Two
   * files at a time at least: the files wait on scaled clocks, sshd and child processes far more
   * than they compute (the worker suite used about half a core with one file at a time), and
   * vitest's own default leaves one file at a time on a 2-core machine
   * (docs/decisions/0152-test-files-in-parallel.md).
   */
  default: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/*.slow.test.ts', '**/*.chaos.test.ts', '**/node_modules/**'],
    maxWorkers: Math.max(2, availableParallelism() - 1),
    outputFile: { json: '.vitest/results.json' },
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
  /** `pnpm test:slow`: the cases at the real 1 s / 5 s Clore limits. */
  slow: {
    include: ['src/**/*.slow.test.ts', 'test/**/*.slow.test.ts'],
    outputFile: { json: '.vitest/results-slow.json' },
    testTimeout: 300_000,
    hookTimeout: 60_000,
  },
  /** The worker's chaos suite: one file at a time. */
  chaos: {
    include: ['test/chaos/**/*.chaos.test.ts'],
    outputFile: { json: '.vitest/results-chaos.json' },
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 60_000,
  },
};

/**
 * A package's vitest config for one suite: every test file checked for leaks by the setup file, a
 * JSON report under .vitest/ (scripts/summarize-tests.mjs adds them up), and `test` over the
 * suite's own settings.
 */
export function suiteConfig(suite, test = {}) {
  return defineConfig({
    test: {
      ...SUITES[suite],
      setupFiles: [LEAK_CHECK],
      reporters: ['default', 'json'],
      ...test,
    },
  });
}

/** A package's default suite; `test` overrides or adds settings. */
export const defaultSuite = (test = {}) => suiteConfig('default', test);

/** A package's slow suite (`*.slow.test.ts`); `test` overrides or adds settings. */
export const slowSuite = (test = {}) => suiteConfig('slow', test);

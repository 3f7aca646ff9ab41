// Plain JavaScript: vitest loads a package's vitest.config.ts through Node, which cannot import a
// workspace package's TypeScript. Types are in vitest-config.d.mts.
import { defineConfig } from 'vitest/config';

const LEAK_CHECK = '@clore-batch/testing/leak-check-setup';

/**
 * A package's default suite: `src/` and `test/` `*.test.ts` but not `*.slow.test.ts`, the leak check,
 * JSON results in `.vitest/results.json` (scripts/summarize-tests.mjs adds them up), 30 s timeouts.
 * `test` overrides or adds settings.
 */
export function defaultSuite(test = {}) {
  return defineConfig({
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      exclude: ['**/*.slow.test.ts', '**/node_modules/**'],
      setupFiles: [LEAK_CHECK],
      reporters: ['default', 'json'],
      outputFile: { json: '.vitest/results.json' },
      testTimeout: 30_000,
      hookTimeout: 30_000,
      ...test,
    },
  });
}

/** A package's slow suite (`*.slow.test.ts`, at the real Clore limits): results in `results-slow.json`. */
export function slowSuite(test = {}) {
  return defineConfig({
    test: {
      include: ['src/**/*.slow.test.ts', 'test/**/*.slow.test.ts'],
      setupFiles: [LEAK_CHECK],
      reporters: ['default', 'json'],
      outputFile: { json: '.vitest/results-slow.json' },
      testTimeout: 300_000,
      hookTimeout: 60_000,
      ...test,
    },
  });
}

import type { UserConfig, ViteUserConfig } from 'vitest/config';

type TestOptions = NonNullable<ViteUserConfig['test']>;

/** The suites: `default` (`pnpm test`), `slow` (`pnpm test:slow`), `chaos` (the worker's). */
export type Suite = 'default' | 'slow' | 'chaos';

/** A package's config for one suite; `test` overrides or adds settings. */
export function suiteConfig(suite: Suite, test?: TestOptions): UserConfig;
/** A package's default suite; `test` overrides or adds settings. */
export function defaultSuite(test?: TestOptions): UserConfig;
/** A package's slow suite (`*.slow.test.ts`); `test` overrides or adds settings. */
export function slowSuite(test?: TestOptions): UserConfig;

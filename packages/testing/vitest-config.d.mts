import type { UserConfig, ViteUserConfig } from 'vitest/config';

type TestOptions = NonNullable<ViteUserConfig['test']>;

/** A package's default suite; `test` overrides or adds settings. */
export function defaultSuite(test?: TestOptions): UserConfig;
/** A package's slow suite (`*.slow.test.ts`); `test` overrides or adds settings. */
export function slowSuite(test?: TestOptions): UserConfig;

import { readFileSync } from 'node:fs';

/** Set by the bundler to the packaged CLI's version (scripts/bundle.ts); undefined when run in place. */
declare const CLORE_BATCH_VERSION: string | undefined;

/** This CLI's version: its package.json's (read at run time in place, written in at bundle time). */
export const VERSION: string =
  typeof CLORE_BATCH_VERSION === 'string'
    ? CLORE_BATCH_VERSION
    : (
        JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
          version: string;
        }
      ).version;

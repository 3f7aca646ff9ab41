/**
 * The payment currencies Clore takes. Its own module (no zod, no config): the packaged CLI's
 * `--currency` choices import it without loading the config schema (docs/decisions/0143-cli-startup.md).
 */
export const CURRENCIES = ['CLORE-Blockchain', 'bitcoin', 'USD-Blockchain'] as const;
export type Currency = (typeof CURRENCIES)[number];

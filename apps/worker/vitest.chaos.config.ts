import { suiteConfig } from '@clore-batch/testing/vitest-config';

/** The chaos suite (`pnpm --filter @clore-batch/worker chaos`): test/chaos/*.chaos.test.ts, one file at a time. */
export default suiteConfig('chaos');

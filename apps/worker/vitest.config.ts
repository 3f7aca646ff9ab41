import { suiteConfig } from '@clore-batch/testing/vitest-config';

export default suiteConfig('default');

import { suiteConfig } from '../../vitest.suites';

export default suiteConfig('slow', { fileParallelism: false });

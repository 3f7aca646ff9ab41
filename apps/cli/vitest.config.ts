import { suiteConfig } from '../../vitest.suites';

// Each e2e file starts a whole sandbox (Redis, simulator, api, worker): one file at a time.
export default suiteConfig('default', { fileParallelism: false });

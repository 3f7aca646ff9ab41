import { suiteConfig } from '../../vitest.suites';

export default suiteConfig('default');

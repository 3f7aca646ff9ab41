import { defaultSuite } from '@clore-batch/testing/vitest-config';

export default defaultSuite();

import { slowSuite } from '@clore-batch/testing/vitest-config';

export default slowSuite();

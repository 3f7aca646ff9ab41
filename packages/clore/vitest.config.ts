import { defaultSuite } from '@clore-batch/testing/vitest-config';

export default defaultSuite({
  // One file at a time: the limiter tests measure gaps of tens of ms, and the simulator tests beside
  // them (sshd per order) add enough load on 2 cores to blur that. Costs about 10 s of 70.
  fileParallelism: false,
});

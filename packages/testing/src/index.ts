// The processes a test runs live in @clore-batch/runtime (the sandbox and the simulator run them
// too); they are re-exported here so a test imports everything from one place.
export {
  canConnect,
  captureOutput,
  coalesced,
  deleteKeysUnder,
  descendantsOf,
  findProcessesWithEnv,
  freePort,
  generateKeyPair,
  type KeyPair,
  killChild,
  killProcessesWithEnv,
  liveChildren,
  type RedisServerHandle,
  readEnvirons,
  readParents,
  SSHD_MARKER,
  SSHD_PATH,
  type SshdHandle,
  type StartRedisServerOptions,
  type StartSshdOptions,
  spawnTracked,
  sshdConfig,
  startRedisServer,
  startSshd,
  stopChild,
  type WaitForOptions,
  waitFor,
} from '@clore-batch/runtime';
export { keysMentioning } from './key-mentions';
export {
  assertNoLeaks,
  holdAcrossTests,
  leaksSince,
  type ResourceSnapshot,
  snapshotResources,
  track,
  trackRedis,
} from './leak-check';
export { type RedisHandle, type StartRedisOptions, startRedis } from './redis';
export {
  type SentinelGroupHandle,
  type StartSentinelGroupOptions,
  startSentinelGroup,
} from './redis-sentinel';
export { rejectionOf } from './rejection';

export { captureOutput, liveChildren, spawnTracked, stopChild } from './child';
export { freePort } from './free-port';
export {
  assertNoLeaks,
  leaksSince,
  type ResourceSnapshot,
  snapshotResources,
  track,
  trackRedis,
} from './leak-check';
export {
  coalesced,
  descendantsOf,
  findProcessesWithEnv,
  killProcessesWithEnv,
  readEnvirons,
  readParents,
} from './proc-table';
export { type RedisHandle, type StartRedisOptions, startRedis } from './redis';
export {
  canConnect,
  generateKeyPair,
  type KeyPair,
  SSHD_MARKER,
  SSHD_PATH,
  type SshdHandle,
  type StartSshdOptions,
  sshdConfig,
  startSshd,
} from './sshd';
export { type WaitForOptions, waitFor } from './wait-for';

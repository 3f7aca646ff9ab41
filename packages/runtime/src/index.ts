export { captureOutput, killChild, liveChildren, spawnTracked, stopChild } from './child';
export { canConnect, freePort } from './ports';
export {
  coalesced,
  descendantsOf,
  findProcessesWithEnv,
  killProcessesWithEnv,
  readEnvirons,
  readParents,
} from './proc-table';
export { deleteKeysUnder } from './redis-keys';
export { type RedisServerHandle, type StartRedisServerOptions, startRedisServer } from './redis-server';
export {
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

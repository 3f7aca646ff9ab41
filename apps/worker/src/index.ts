export { attemptLiveness } from './lifecycle/attempt-liveness';
export { checkBudget, finalCostUsd, verifiedCostUsd } from './lifecycle/budget';
export { AttemptOver, CancelRequested, NextServer, WorkerStopping } from './lifecycle/control';
export {
  DEFAULT_SETTINGS,
  type FleetViews,
  type LifecycleDeps,
  type LifecycleSettings,
} from './lifecycle/deps';
export { type Decision, decide } from './lifecycle/outcome';
export { runJob } from './lifecycle/run-job';
export { type Candidate, gpuNameMatches, type Selection, selectServers } from './lifecycle/select-server';
export { countingFetch } from './worker/counting-fetch';
export { createWorker, type LifecycleWorker, type WorkerDeps } from './worker/create-worker';
export {
  lifecycleSettings,
  type RunningWorker,
  type StartWorkerOptions,
  startWorker,
} from './worker/start-worker';

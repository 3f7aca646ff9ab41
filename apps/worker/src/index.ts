export { attemptLiveness } from './lifecycle/attempt-liveness';
export { checkBudget, finalCostUsd, verifiedCostUsd } from './lifecycle/budget';
export { classifyError, type ErrorAction } from './lifecycle/classify-error';
export { AttemptOver, CancelRequested, NextServer, WorkerStopping } from './lifecycle/control';
export {
  DEFAULT_SETTINGS,
  type FleetViews,
  type LifecycleDeps,
  type LifecycleSettings,
} from './lifecycle/deps';
export { runJob } from './lifecycle/run-job';
export { bullFailedReason, settleInBull } from './worker/bull-outcome';
export { countingFetch } from './worker/counting-fetch';
export { createWorker, type LifecycleWorker, type WorkerDeps } from './worker/create-worker';
export {
  lifecycleSettings,
  type RunningWorker,
  type StartWorkerOptions,
  startWorker,
} from './worker/start-worker';

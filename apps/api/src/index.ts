export { buildApp } from './app';
export { createDashboardPlugin, type DashboardOptions } from './dashboard/dashboard-plugin';
export type { ApiDeps, ApiPlugin } from './deps';
export { type RetentionSweep, startRetentionSweep } from './retention/retention-sweep';
export { type RunningApi, type StartApiOptions, startApi } from './start-api';
export { enqueueRun } from './submission/enqueue';
export { type EnqueueSweep, startEnqueueSweep } from './submission/enqueue-sweep';
export { isRefusedAddress, webhookTargetProblem } from './webhooks/address-policy';
export {
  SIGNATURE_HEADER,
  signWebhook,
  TIMESTAMP_HEADER,
  tenantWebhookKey,
  verifyWebhook,
  webhookKey,
} from './webhooks/signature';
export { startWebhookOutbox, type WebhookOutbox } from './webhooks/webhook-outbox';
export { createWebhookWorker } from './webhooks/webhook-worker';

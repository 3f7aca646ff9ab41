export {
  type ApiToken,
  ApiTokensSchema,
  MIN_TOKEN_LENGTH,
  TOKEN_ROLES,
  type TokenRole,
} from './config/api-tokens';
export { type DeepReadonly, loadConfig } from './config/load-config';
export { type Config, type ConfigEnvName, ConfigSchema, CURRENCIES, type Currency } from './config/schema';
export {
  deriveSecretKey,
  fingerprint,
  openJson,
  openSecret,
  type SecretKey,
  sealJson,
  sealSecret,
} from './crypto/secret-box';
export { AppError, type AppErrorOptions, errorCodeOf, hasErrorCode } from './errors/app-error';
export { ERROR_CODES, type ErrorCode, type ErrorDefinition, isErrorCode } from './errors/codes';
export {
  type CreateLoggerOptions,
  createLogger,
  forComponent,
  forJob,
  type Logger,
  SECRET_FIELDS,
  silentLogger,
} from './logging/logger';
export { type FleetKeys, fleetKeys } from './fleet/fleet-keys';
export {
  bullPrefix,
  JOBS_QUEUE,
  type RunJobPayload,
  WEBHOOKS_QUEUE,
  type WebhookPayload,
} from './queue/queues';
export {
  createTelemetryCounters,
  type Labels,
  labelKey,
  METRICS,
  parseLabelKey,
  type TelemetryCounters,
} from './telemetry/counters';
// --- job spec, state machine and job store (below) ---

export {
  applySpecDefaults,
  EnvNameSchema,
  GpuSpecSchema,
  type JobSpec,
  type JobSpecInput,
  JobSpecSchema,
  ORDER_TYPES,
  type OrderType,
  parseJobSpec,
  type ResolvedJobSpec,
  SPEC_LIMITS,
  type SpecDefaults,
  type StoredJobSpec,
  StoredJobSpecSchema,
  specIssues,
  toStoredSpec,
} from './spec/job-spec';
export { outputPathProblem } from './spec/output-path';
export {
  formatIssues,
  humanErrorMap,
  issuesOf,
  parseOrThrow,
  toValidationIssues,
  type ValidationIssue,
} from './spec/validation-issues';
export { isLoopbackHost, isLoopbackUrl, webhookUrlProblem } from './spec/webhook-url';
export {
  afterAttemptFailure,
  FAILURE_REASONS,
  type FailureReason,
  isFailureReason,
  isRetryableReason,
  REASON_TEXT,
} from './state/failure-reason';
export { isJobState, isTerminal, JOB_STATES, JobState, TERMINAL_STATES } from './state/job-state';
export {
  allowedEvents,
  canTransition,
  isJobEvent,
  JOB_EVENTS,
  type JobEvent,
  TRANSITIONS,
  transition,
} from './state/transitions';

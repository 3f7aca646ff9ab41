export {
  type ApiToken,
  ApiTokensSchema,
  MIN_TOKEN_LENGTH,
  TOKEN_ROLES,
  type TokenRole,
} from './config/api-tokens';
export { CURRENCIES, type Currency } from './config/currencies';
export { type DeepReadonly, loadConfig } from './config/load-config';
export { RedisSentinelsSchema, type SentinelAddress } from './config/redis-sentinels';
export { type Config, type ConfigEnvName, ConfigSchema } from './config/schema';
export { TrustProxySchema } from './config/trust-proxy';
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
export { type FleetKeys, fleetKeys } from './fleet/fleet-keys';
export {
  type CreateLoggerOptions,
  createLogger,
  forComponent,
  forJob,
  type Logger,
  SECRET_FIELDS,
  silentLogger,
} from './logging/logger';
export {
  FRESH_MASK_STATE,
  MASK,
  type MaskState,
  maskableValues,
  SecretMasker,
} from './logging/secret-masker';
export { exitOnStartupError, type ShutdownOptions, stopOnSignals } from './process/shutdown';
export { type FairKeys, fairKeys } from './queue/fair-keys';
export {
  createFairQueue,
  type FairChoice,
  type FairJob,
  type FairQueue,
  RUNNING_STATES,
  type WaitNote,
} from './queue/fair-queue';
export {
  addRun,
  bullPrefix,
  JOBS_QUEUE,
  type RunJobPayload,
  type RunQueue,
  redisPrefixOfBull,
  WEBHOOKS_QUEUE,
  type WebhookPayload,
} from './queue/queues';
export {
  awaitReplica,
  createBullRedis,
  createRedis,
  REPLICA_WAIT_MS,
  type RedisConfig,
  redisOptionsFromConfig,
  viaSentinel,
} from './redis/redis-from-config';
export {
  createTelemetryCounters,
  type Labels,
  labelKey,
  METRICS,
  parseLabelKey,
  type TelemetryCounters,
} from './telemetry/counters';

// --- job spec, state machine and job store (below) ---

export { abortableSleep } from './process/abortable-sleep';
export { type GpuModelName, gpuModelMatches, parseGpuModel } from './spec/gpu-model';
export {
  applySpecDefaults,
  EnvNameSchema,
  GpuSpecSchema,
  type JobSpec,
  type JobSpecInput,
  JobSpecSchema,
  ORDER_TYPES,
  type OrderType,
  PRIORITIES,
  type Priority,
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
export { commandFromArgv, shellQuote } from './spec/shell-command';
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
  ATTEMPT_EVENTS,
  ATTEMPT_PHASES,
  ATTEMPT_TRANSITIONS,
  type AttemptEvent,
  type AttemptPhase,
  type AttemptPhaseFields,
  allowedAttemptEvents,
  attemptPhaseOf,
  attemptTransition,
  isAttemptOpen,
} from './state/attempt-phase';
export {
  FAILURE_REASONS,
  type FailureReason,
  isFailureReason,
  isRetryableReason,
  REASON_TEXT,
} from './state/failure-reason';
export { isJobState, isTerminal, JOB_STATES, JobState, TERMINAL_STATES } from './state/job-state';
export {
  afterAttemptFailure,
  afterProvisionFailure,
  attemptsLeft,
  attemptsUsed,
  backoffMs,
  CONFLICT_REREADS,
  CREATE_ORDER_TRIES,
  CREATE_RETRY_BASE_MS,
  DRIVER_RETRY_BASE_MS,
  DRIVER_ROUNDS,
  type RetryFacts,
} from './state/retry-policy';
export {
  allowedEvents,
  canTransition,
  isJobEvent,
  JOB_EVENTS,
  type JobEvent,
  TRANSITIONS,
  transition,
} from './state/transitions';
export type { AttemptEndFields, AttemptReadyFields } from './store/attempt-writes';
export type { FollowItem, FollowOptions } from './store/follow';
export { idempotentJobId, idempotentSweepId } from './store/idempotency-lookup';
export { jobDir, logFilePath, logSegmentPath, logTailDir, outputsDir } from './store/job-files';
export { isJobId, isSweepId, JOB_ID_PATTERN, newJobId, newSweepId, SWEEP_ID_PATTERN } from './store/job-id';
export type { AcquireLeaseOptions, JobLease, LeaseCheck } from './store/job-lease';
export {
  ATTEMPT_END_REASONS,
  type Attempt,
  type AttemptEndReason,
  AttemptSchema,
  type JobHistoryEvent,
  JobHistoryEventSchema,
  type JobRecord,
  JobRecordSchema,
  type JobSummary,
  jobSummary,
  type OutputFile,
  OutputFileSchema,
  type PublicAttempt,
  PublicAttemptSchema,
  type PublicJob,
  PublicJobSchema,
  type StrayOrder,
  StrayOrderSchema,
  toPublicJob,
  type WebhookDelivery,
  WebhookDeliverySchema,
} from './store/job-record';
export { createJobStore, type JobStore, type JobStoreOptions } from './store/job-store';
export type { LiveMessage } from './store/live-message';
export {
  dropMarker,
  LOG_MAX_BYTES_DEFAULT,
  LOG_MAX_BYTES_MIN,
  type LogLayout,
  logLayout,
} from './store/log-layout';
export { type LogChunk, READ_LOG_DEFAULT_MAX } from './store/log-reads';
export { type JobPatch, MAX_INFO_EVENTS, type TransitionOptions } from './store/next-record';
export type { OutboxEntry } from './store/outbox';
export { jobIdFloor, type OwnerJobVersion, ownerJobVersions } from './store/owner-jobs-since';
export {
  type CreateJobInput,
  type CreateJobResult,
  IDEMPOTENCY_TTL_SECONDS,
  type JobPage,
  LIST_LIMIT_MAX,
  type ListJobsQuery,
} from './store/records';
export { canonicalJson, requestHash } from './store/request-hash';
export {
  type ExpireOutcome,
  type ExpiryCut,
  type KeepReason,
  openAttempts,
  type PurgeOutcome,
} from './store/retention';
export { type SweepRecord, SweepRecordSchema } from './store/sweep-record';
export type { CreateSweepInput, CreateSweepResult, SweepPage } from './store/sweeps';
export { EDGE_KEY_ENTRIES, edgeKeys } from './tenants/edge-keys';
export {
  hasSpendCap,
  needsUsage,
  perJobRefusal,
  queueRefusal,
  spendRefusal,
  usd,
} from './tenants/tenant-admission';
export {
  DEFAULT_TENANT,
  limitsFor,
  TENANT_LIMIT_FIELDS,
  type TenantLimit,
  type TenantLimitField,
  TenantLimitSchema,
  type TenantLimits,
  TenantLimitsSchema,
  unknownTenantNames,
} from './tenants/tenant-limits';
export {
  CLOCK_SKEW_MS,
  periodLabel,
  periodStart,
  type SpendPeriod,
  type TenantUsage,
  tenantUsage,
  type UsageJob,
} from './tenants/tenant-usage';
export { touchUpload, uploadPath, uploadsDir } from './uploads/upload-files';
export { UPLOAD_SHA256 } from './uploads/upload-sha';

// --- Redis key registry and fleet records (docs/decisions/0127) ---

export {
  type CancelInfo,
  CancelInfoSchema,
  FLEET_RECORDS,
  type FleetRecord,
  type FleetRecordName,
  type ForeignOrderRecord,
  ForeignOrderRecordSchema,
  type MarketplaceSnapshot,
  MarketplaceSnapshotSchema,
  type MissingOrder,
  MissingOrderSchema,
  type OrderIntent,
  OrderIntentSchema,
  type OrdersSnapshot,
  OrdersSnapshotSchema,
  type OrphanRecord,
  OrphanRecordSchema,
  orphanReapableAt,
} from './fleet/fleet-records';
export {
  type Order,
  OrderSchema,
  type Server,
  ServerSchema,
  type ServerSpecs,
  ServerSpecsSchema,
  type SshEndpoint,
  SshEndpointSchema,
  UsdRatesSchema,
} from './fleet/provider-model';
export {
  fleetRecordJson,
  parseFleetHash,
  parseFleetRecord,
  readFleetRecord,
} from './fleet/read-fleet-record';
export type { KeyEntry, RedisKeyType } from './keys/key-entry';
export { REDIS_KEY_ENTRIES, type RedisKeys, redisKeys } from './keys/redis-keys';
export { type CloreLimiterKeys, cloreLimiterKeys } from './keys/service-keys';
export {
  CREATION_FEE_DAY_FRACTION,
  type FirstCost,
  firstCost,
  firstCostUsd,
} from './market/first-cost';
export {
  knownGpuNames,
  namesAnyGpu,
  shortGpuName,
  suggestGpuModels,
} from './market/gpu-names';
export { checkMarketFit, type MarketFit, onceFree } from './market/market-fit';
export { median } from './market/median';
export {
  type OfferGroup,
  type OfferQuery,
  type OfferServer,
  summariseOffers,
} from './market/offers';
export {
  type CostEstimate,
  type MarketPlan,
  type PlannedServer,
  type PlanOptions,
  planOnMarket,
} from './market/plan';
export {
  type Candidate,
  type Rejection,
  type Selection,
  type SelectOptions,
  selectServers,
} from './market/select-servers';
export { perDayToUsdPerHour, serverUsdPerHour, type UsdRates } from './market/usd-price';

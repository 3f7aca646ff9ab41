import { z } from 'zod';
import { LOG_MAX_BYTES_DEFAULT, LOG_MAX_BYTES_MIN } from '../store/log-layout';
import { TenantLimitsSchema, unknownTenantNames } from '../tenants/tenant-limits';
import { ApiTokensSchema } from './api-tokens';
import { CURRENCIES } from './currencies';
import { RedisSentinelsSchema } from './redis-sentinels';
import { TrustProxySchema } from './trust-proxy';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const BoolEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => ['true', '1', 'yes'].includes(v));
const Url = z.url({ protocol: /^(https?|rediss?)$/ });

/** The variables one by one; ConfigSchema adds the rules across them. */
const ConfigFields = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().min(1).default('./.data'),
  SECRETS_KEY: z.string().min(32, 'must be at least 32 characters (e.g. `openssl rand -hex 32`)'),

  REDIS_URL: Url.default('redis://127.0.0.1:6379'),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default('cb'),
  /**
   * Redis through a Sentinel group (docs/decisions/0145): `host:port` of each sentinel, comma
   * separated, with REDIS_SENTINEL_NAME. REDIS_URL then gives only the master's credentials, database
   * and scheme (`rediss://` = TLS to the master and replicas); its host is not used.
   */
  REDIS_SENTINELS: RedisSentinelsSchema.optional(),
  /** The master group name the sentinels monitor (`sentinel monitor <name> ...`). */
  REDIS_SENTINEL_NAME: z.string().min(1).optional(),
  /** The sentinels' own password (`requirepass` in sentinel.conf), when they have one. */
  REDIS_SENTINEL_PASSWORD: z.string().min(1).optional(),
  /** TLS to the sentinels too (their `tls-port`); REDIS_TLS_CA verifies them. Default off. */
  REDIS_SENTINEL_TLS: BoolEnv.default(false),
  /** A PEM file of the CA that signed the Redis (and sentinel) certificates, for `rediss://`. */
  REDIS_TLS_CA: z.string().min(1).optional(),

  CLORE_API_URL: Url.default('https://api.clore.ai'),
  CLORE_API_KEY: z.string().min(1).optional(),
  CLORE_CURRENCY: z.enum(CURRENCIES).default('CLORE-Blockchain'),
  CLORE_PRICE_UNIT: z.enum(['day', 'hour']).default('day'),
  CLORE_TIMEOUT_MS: int(100, 300_000).default(30_000),
  CLORE_GENERAL_SPACING_MS: int(1, 60_000).default(1_100),
  CLORE_CREATE_SPACING_MS: int(1, 600_000).default(5_200),

  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: int(0, 65_535).default(8080),
  API_TOKENS: ApiTokensSchema.default([]),
  API_BODY_LIMIT_BYTES: int(1_024, 64 * 1024 * 1024).default(1024 * 1024),
  API_RATE_LIMIT_PER_MINUTE: int(1, 1_000_000).default(600),
  /** Failed authentications (a wrong token) per client address in AUTH_FAILURE_WINDOW_SECONDS; then 429 before any token check. */
  AUTH_FAILURE_LIMIT: int(1, 1_000_000).default(30),
  AUTH_FAILURE_WINDOW_SECONDS: int(1, 86_400).default(900),
  /** Peers allowed to set X-Forwarded-* (config/trust-proxy.ts); default none. */
  TRUST_PROXY: TrustProxySchema.default(false),
  /** Per-tenant quotas and spend caps, JSON by token name (tenants/tenant-limits.ts, docs/decisions/0129). */
  TENANT_LIMITS: TenantLimitsSchema.default({}),
  WEBHOOK_SECRET: z.string().min(16).optional(),
  WEBHOOK_ALLOW_PRIVATE: BoolEnv.default(false),
  WEBHOOK_MAX_ATTEMPTS: int(1, 20).default(5),
  WEBHOOK_BACKOFF_MS: int(1, 3_600_000).default(2_000),
  WEBHOOK_TIMEOUT_MS: int(100, 120_000).default(10_000),
  API_ENQUEUE_SWEEP_MS: int(100, 3_600_000).default(30_000),
  /** The admin dashboard alerts when the wallet of CLORE_CURRENCY holds less than this many USD (docs/decisions/0149). */
  ALERT_WALLET_MIN_USD: z.coerce.number().min(0).max(1_000_000_000).default(20),

  WORKER_CONCURRENCY: int(1, 1_000).default(8),
  ORDER_POLL_INTERVAL_MS: int(10, 600_000).default(3_000),
  /** my_orders cadence while jobs only watch budgets (docs/decisions/0055); unset: 5 × ORDER_POLL_INTERVAL_MS. */
  ORDER_IDLE_POLL_INTERVAL_MS: int(10, 600_000).optional(),
  /** my_orders safety cadence when nothing is watched (docs/decisions/0055); unset: 20 × ORDER_POLL_INTERVAL_MS. */
  ORDER_QUIET_POLL_INTERVAL_MS: int(10, 3_600_000).optional(),
  MARKETPLACE_REFRESH_MS: int(10, 3_600_000).default(15_000),
  /** Selection refuses a marketplace snapshot older than this (its prices may be gone). */
  MARKETPLACE_MAX_AGE_SECONDS: int(1, 86_400).default(120),
  /**
   * How long a rented order's spend may go unverified (my_orders failing, the order missing from the
   * answers, the watch failing) before the job is stopped with `spend_unverified` and its order
   * cancelled. Keep it a few times ORDER_IDLE_POLL_INTERVAL_MS.
   */
  SPEND_UNVERIFIED_MAX_SECONDS: int(1, 86_400).default(60),
  PROVISION_TIMEOUT_SECONDS: int(1, 86_400).default(600),
  REAPER_GRACE_SECONDS: int(1, 86_400).default(120),
  /**
   * The Clore API key belongs to this deployment alone: any active order no live job attempt owns is
   * cancelled after REAPER_GRACE_SECONDS, intents or not (docs/decisions/0112). Recommended in
   * production when nothing else uses the key. Default false: orders no intent explains are left alone.
   */
  CLORE_KEY_EXCLUSIVE: BoolEnv.default(false),
  SERVER_CLAIM_TTL_SECONDS: int(1, 3_600).default(60),
  LOG_TAIL_BYTES: int(1_024, 256 * 1024 * 1024).default(1024 * 1024),
  OUTPUTS_MAX_BYTES: int(0, Number.MAX_SAFE_INTEGER).default(1024 * 1024 * 1024),
  WORKER_LOCK_DURATION_MS: int(1_000, 600_000).default(30_000),
  WORKER_KILL_GRACE_SECONDS: int(1, 600).default(10),
  /** Per job: past it the stored log keeps its first half and about its last half (docs/decisions/0130). */
  LOG_MAX_BYTES: int(LOG_MAX_BYTES_MIN, Number.MAX_SAFE_INTEGER).default(LOG_MAX_BYTES_DEFAULT),
  /**
   * A finished job (record, events, log, outputs, index entries) is deleted this long after it
   * finished, by the API's retention sweep; its sealed secrets go as soon as its orders have ended
   * (docs/decisions/0133). Default 30 days; at least one day, the life of an idempotency key (a
   * late retry of a submit must find its job, never make a second one).
   */
  JOB_RETENTION_SECONDS: int(86_400, 10 * 365 * 86_400).default(30 * 86_400),
  /**
   * The largest workdir upload (`POST /v1/uploads`, a tar.gz) the API stores; uploads are deleted
   * JOB_RETENTION_SECONDS after their last use (docs/decisions/0137). Default 1 GiB.
   */
  UPLOAD_MAX_BYTES: int(1_024, 64 * 1024 * 1024 * 1024).default(1024 * 1024 * 1024),
  /** The most jobs one sweep (POST /v1/sweeps) may make; a larger one is refused whole (decision 0136). */
  SWEEP_MAX_JOBS: int(1, 100_000).default(1000),
});

/**
 * Every environment variable clore-batch reads, with its default. `.env.example` lists them all (a
 * test keeps the two in step). Apps call `loadConfig(process.env)` once at start. Across variables:
 * every TENANT_LIMITS name is a token name of API_TOKENS (when tokens are configured; decision 0129).
 */
export const ConfigSchema = ConfigFields.superRefine((config, ctx) => {
  redisRules(config, ctx);
  const tokenNames = config.API_TOKENS.map((t) => t.name);
  for (const name of unknownTenantNames(config.TENANT_LIMITS, tokenNames)) {
    ctx.addIssue({
      code: 'custom',
      path: ['TENANT_LIMITS'],
      message: `entry "${name}" is not a token name of API_TOKENS (a typo would leave that tenant on "*"); remove it or add the token`,
    });
  }
});

/** The variables a Redis connection is built from (redis/redis-from-config.ts). */
export type RedisFields = Pick<
  z.infer<typeof ConfigFields>,
  | 'REDIS_URL'
  | 'REDIS_SENTINELS'
  | 'REDIS_SENTINEL_NAME'
  | 'REDIS_SENTINEL_PASSWORD'
  | 'REDIS_SENTINEL_TLS'
  | 'REDIS_TLS_CA'
>;

/** The Redis variables that only mean something together (docs/decisions/0145). */
function redisRules(config: RedisFields, ctx: z.RefinementCtx): void {
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  const sentinels = config.REDIS_SENTINELS !== undefined;
  if (sentinels && config.REDIS_SENTINEL_NAME === undefined) {
    issue('REDIS_SENTINEL_NAME', 'is required with REDIS_SENTINELS (the master name the sentinels monitor)');
  }
  if (!sentinels && config.REDIS_SENTINEL_NAME !== undefined) {
    issue('REDIS_SENTINELS', "is required with REDIS_SENTINEL_NAME (the sentinels' host:port list)");
  }
  for (const name of ['REDIS_SENTINEL_PASSWORD', 'REDIS_SENTINEL_TLS'] as const) {
    if (!sentinels && config[name] !== undefined && config[name] !== false) {
      issue(
        name,
        'is only used with REDIS_SENTINELS; set REDIS_SENTINELS and REDIS_SENTINEL_NAME or remove it',
      );
    }
  }
  const tls = config.REDIS_URL.startsWith('rediss:') || config.REDIS_SENTINEL_TLS;
  if (config.REDIS_TLS_CA !== undefined && !tls) {
    issue(
      'REDIS_TLS_CA',
      'is set but nothing uses TLS: make REDIS_URL rediss:// (or set REDIS_SENTINEL_TLS=true)',
    );
  }
  if (!/^rediss?:/.test(config.REDIS_URL)) {
    issue('REDIS_URL', 'must be a redis:// or rediss:// URL');
  }
}

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigEnvName = keyof typeof ConfigSchema.shape;

/**
 * The registry of stable error codes. A code is never renamed or reused once released;
 * retire one by leaving it here with `retired: true`. Every code is documented in docs/errors.md
 * (a test keeps the two in step).
 */
export interface ErrorDefinition {
  /** HTTP status the API answers with when this error reaches a client. */
  readonly status: number;
  /** Whether trying the same operation again later may succeed. */
  readonly retryable: boolean;
  readonly retired?: boolean;
}

export const ERROR_CODES = {
  // input and auth
  VALIDATION_FAILED: { status: 400, retryable: false },
  CONFIG_INVALID: { status: 500, retryable: false },
  UNAUTHORIZED: { status: 401, retryable: false },
  FORBIDDEN: { status: 403, retryable: false },
  NOT_FOUND: { status: 404, retryable: false },
  PAYLOAD_TOO_LARGE: { status: 413, retryable: false },
  RATE_LIMITED: { status: 429, retryable: true },
  IDEMPOTENCY_CONFLICT: { status: 409, retryable: false },
  WEBHOOK_URL_REFUSED: { status: 400, retryable: false },
  OUTPUT_PATH_INVALID: { status: 400, retryable: false },
  // jobs
  JOB_NOT_FOUND: { status: 404, retryable: false },
  JOB_ALREADY_TERMINAL: { status: 409, retryable: false },
  JOB_INVALID_TRANSITION: { status: 409, retryable: false },
  JOB_STATE_CONFLICT: { status: 409, retryable: true },
  JOB_OWNERSHIP_LOST: { status: 409, retryable: false },
  // sweeps (docs/decisions/0136)
  SWEEP_NOT_FOUND: { status: 404, retryable: false },
  SWEEP_TOO_LARGE: { status: 400, retryable: false },
  // the Clore API
  CLORE_API_ERROR: { status: 502, retryable: false },
  CLORE_RATE_LIMITED: { status: 503, retryable: true },
  CLORE_AUTH_FAILED: { status: 502, retryable: false },
  CLORE_TRANSPORT_ERROR: { status: 502, retryable: true },
  CLORE_TIMEOUT: { status: 504, retryable: true },
  CLORE_BAD_RESPONSE: { status: 502, retryable: false },
  // running jobs
  SSH_ERROR: { status: 502, retryable: true },
  OUTPUT_TOO_LARGE: { status: 413, retryable: false },
  SECRET_DECRYPT_FAILED: { status: 500, retryable: false },
  // infrastructure
  REDIS_UNAVAILABLE: { status: 503, retryable: true },
  FLEET_RECORD_MALFORMED: { status: 500, retryable: false },
  INTERNAL: { status: 500, retryable: false },
  // tenant limits at submit (TENANT_LIMITS, docs/decisions/0129) and failed authentication
  TENANT_JOB_BUDGET_LIMIT: { status: 403, retryable: false },
  TENANT_PRICE_LIMIT: { status: 403, retryable: false },
  TENANT_DAILY_SPEND_CAP: { status: 403, retryable: true },
  TENANT_MONTHLY_SPEND_CAP: { status: 403, retryable: true },
  TENANT_QUEUE_FULL: { status: 429, retryable: true },
  TENANT_BUSY: { status: 503, retryable: true },
  AUTH_RATE_LIMITED: { status: 429, retryable: true },
  // the marketplace at submit and in offers (docs/decisions/0132)
  MARKETPLACE_UNKNOWN: { status: 503, retryable: true },
  GPU_MODEL_UNKNOWN: { status: 422, retryable: false },
  SPEC_UNSATISFIABLE: { status: 422, retryable: false },
  // workdir uploads (docs/decisions/0137)
  UPLOAD_TOO_LARGE: { status: 413, retryable: false },
  UPLOAD_DIGEST_MISMATCH: { status: 422, retryable: false },
  UPLOAD_NOT_FOUND: { status: 422, retryable: false },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

import { CliError } from '../cli/cli-error';
import { EXIT, type ExitCode } from '../cli/exit-codes';

/** A field problem as the API reports it (`details.issues` of VALIDATION_FAILED). */
interface Issue {
  path?: unknown;
  message?: unknown;
}

/** What the CLI reads from an API error body, whichever of the common shapes it has. */
export interface ApiErrorBody {
  code?: string;
  message?: string;
  issues: string[];
  /** `details` as sent (client-safe by the API's rules), for `--json` and the job a 409 names. */
  details?: Record<string, unknown>;
}

export function readErrorBody(body: unknown): ApiErrorBody {
  const root = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const nested =
    typeof root.error === 'object' && root.error !== null ? (root.error as Record<string, unknown>) : {};
  const pick = (key: string) => {
    const value = nested[key] ?? root[key];
    return typeof value === 'string' ? value : undefined;
  };
  const details = (nested.details ?? root.details) as { issues?: Issue[] } | undefined;
  const issues = Array.isArray(details?.issues)
    ? details.issues.map((issue) => `${String(issue.path ?? '') || '(body)'}: ${String(issue.message ?? '')}`)
    : [];
  const message = pick('message') ?? (typeof root.error === 'string' ? root.error : undefined);
  const raw = nested.details ?? root.details;
  return {
    code: pick('code'),
    message,
    issues,
    ...(typeof raw === 'object' && raw !== null ? { details: raw as Record<string, unknown> } : {}),
  };
}

/**
 * Refusals by the token's TENANT_LIMITS (packages/shared/src/errors/codes.ts): answered 403, 429 or
 * 503, but neither an authentication failure nor an outage; repeating the request at once does not
 * help, so they are not retried.
 */
const TENANT_CODES: ReadonlySet<string> = new Set([
  'TENANT_JOB_BUDGET_LIMIT',
  'TENANT_PRICE_LIMIT',
  'TENANT_DAILY_SPEND_CAP',
  'TENANT_MONTHLY_SPEND_CAP',
  'TENANT_QUEUE_FULL',
  'TENANT_BUSY',
]);

/** Codes a retry would not change: the client gives up at once (exitFor names them). */
export function isFinalCode(code: string | undefined): boolean {
  return code !== undefined && (TENANT_CODES.has(code) || code === 'AUTH_RATE_LIMITED');
}

/** The exit code for an API error: by its stable code first, else by the HTTP status. */
export function exitFor(status: number, code?: string): ExitCode {
  if (code !== undefined && TENANT_CODES.has(code)) {
    return EXIT.tenantLimit;
  }
  if (code === 'AUTH_RATE_LIMITED') {
    return EXIT.authRateLimited;
  }
  if (code === 'MARKETPLACE_UNKNOWN') {
    return EXIT.apiRefused;
  }
  if (status === 400 || status === 413 || status === 422) {
    return EXIT.usage;
  }
  if (status === 401 || status === 403) {
    return EXIT.authFailed;
  }
  if (status === 404) {
    return EXIT.notFound;
  }
  if (status === 429 || status >= 500) {
    return EXIT.apiUnreachable;
  }
  return EXIT.apiRefused;
}

/** An API answer that is not a success, as a CliError with the right exit code and the API's words. */
export class ApiError extends CliError {
  readonly status: number;
  readonly code: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(status: number, what: string, body: ApiErrorBody) {
    const said = body.issues.length > 0 ? body.issues.join('; ') : (body.message ?? `HTTP ${status}`);
    const hint = status === 401 ? ' (set CLORE_BATCH_TOKEN or pass --token)' : '';
    const jobId = body.details?.jobId;
    const job =
      typeof jobId === 'string' ? ` (the key's job: ${jobId}; see it with: clore-batch status ${jobId})` : '';
    super(exitFor(status, body.code), `${what}: ${said}${body.code ? ` [${body.code}]` : ''}${job}${hint}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.code;
    this.details = body.details;
  }
}

/** The API could not be reached at all (refused, reset, DNS, timeout). */
export function unreachable(what: string, baseUrl: string, cause: unknown): CliError {
  const why = describeNetworkError(cause);
  return new CliError(EXIT.apiUnreachable, `${what}: cannot reach the API at ${baseUrl} (${why})`, { cause });
}

function describeNetworkError(error: unknown): string {
  type Cause = { code?: string; message?: string; errors?: Cause[] };
  const cause = (error as { cause?: Cause } | undefined)?.cause;
  const code = cause?.code ?? cause?.errors?.find((inner) => inner.code)?.code;
  if (code) {
    return code;
  }
  if (cause?.message) {
    return cause.message;
  }
  if ((error as Error | undefined)?.name === 'TimeoutError') {
    return 'no answer within the timeout';
  }
  return error instanceof Error ? error.message : String(error);
}

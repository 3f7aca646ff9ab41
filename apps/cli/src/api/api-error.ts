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
  return { code: pick('code'), message, issues };
}

function exitFor(status: number): ExitCode {
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

  constructor(status: number, what: string, body: ApiErrorBody) {
    const said = body.issues.length > 0 ? body.issues.join('; ') : (body.message ?? `HTTP ${status}`);
    const hint = status === 401 ? ' (set CLORE_BATCH_TOKEN or pass --token)' : '';
    super(exitFor(status), `${what}: ${said}${body.code ? ` [${body.code}]` : ''}${hint}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.code;
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

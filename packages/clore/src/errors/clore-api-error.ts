import { AppError } from '@clore-batch/shared';
import type { Endpoint } from '../endpoints';

/** Extra fields some errors carry (set_spot_price). */
export interface CloreApiErrorExtra {
  /** `can_lower_every_600_seconds`: seconds until the price may be lowered again. */
  timeToLoweringSeconds?: number;
  /** `exceeded_max_step`: the largest allowed step down, in the order's currency per day. */
  maxStep?: number;
}

export interface CloreApiErrorOptions {
  endpoint: Endpoint;
  /** The JSON `code` of the answer (1..6, or another number the API invents). */
  apiCode: number;
  /** The `error` string, when the answer had one. */
  apiError?: string | undefined;
  httpStatus: number;
  extra?: CloreApiErrorExtra;
}

const CODE_TEXT: Record<number, string> = {
  1: 'database error',
  2: 'invalid input data',
  3: 'invalid API token',
  4: 'invalid endpoint',
  5: 'rate limit exceeded',
  6: 'error',
};

/**
 * The Clore API answered and said no: a JSON body whose `code` is not 0. Code 5 uses the stable
 * code CLORE_RATE_LIMITED, code 3 CLORE_AUTH_FAILED, every other code CLORE_API_ERROR. Everything
 * a classifier needs is in `details` too, so the error survives serialisation (BullMQ, HTTP).
 * Never carries the API key.
 */
export class CloreApiError extends AppError {
  override readonly name = 'CloreApiError';
  readonly endpoint: Endpoint;
  readonly apiCode: number;
  readonly apiError: string | undefined;
  readonly httpStatus: number;
  readonly extra: CloreApiErrorExtra;

  constructor(options: CloreApiErrorOptions) {
    const code =
      options.apiCode === 5
        ? 'CLORE_RATE_LIMITED'
        : options.apiCode === 3
          ? 'CLORE_AUTH_FAILED'
          : 'CLORE_API_ERROR';
    const what = options.apiError ?? CODE_TEXT[options.apiCode] ?? 'unknown code';
    super(code, `Clore ${options.endpoint}: code ${options.apiCode} (${what}), HTTP ${options.httpStatus}`, {
      details: {
        endpoint: options.endpoint,
        apiCode: options.apiCode,
        apiError: options.apiError,
        httpStatus: options.httpStatus,
        ...options.extra,
      },
    });
    this.endpoint = options.endpoint;
    this.apiCode = options.apiCode;
    this.apiError = options.apiError;
    this.httpStatus = options.httpStatus;
    this.extra = options.extra ?? {};
  }
}

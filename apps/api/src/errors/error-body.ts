import { ERROR_CODES, type ErrorCode, hasErrorCode } from '@clore-batch/shared';

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

interface FastifyLikeError {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
  details?: unknown;
}

const invalidBody = (message: string): ErrorBody => ({
  code: 'VALIDATION_FAILED',
  message,
  details: { issues: [{ path: '', message }] },
});

/** Fastify's own errors by their FST_ code, with fixed messages (a JSON parse message can quote the body). */
const FASTIFY_CODES: Record<string, () => ErrorBody> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () => ({ code: 'PAYLOAD_TOO_LARGE', message: 'request body is too large' }),
  FST_ERR_CTP_INVALID_JSON_BODY: () => invalidBody('request body is not valid JSON'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => invalidBody('request body is empty; send a JSON object'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => invalidBody('unsupported Content-Type; send application/json'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => invalidBody('Content-Length does not match the body'),
  FST_ERR_NOT_FOUND: () => ({ code: 'NOT_FOUND', message: 'no such route' }),
};

/** By status, for other 4xx errors from Fastify or its plugins (fixed messages: never echo input). */
const BY_STATUS: Record<number, () => ErrorBody> = {
  400: () => invalidBody('bad request'),
  404: () => ({ code: 'NOT_FOUND', message: 'no such route' }),
  405: () => ({ code: 'NOT_FOUND', message: 'method not allowed on this route' }),
  413: () => ({ code: 'PAYLOAD_TOO_LARGE', message: 'request body is too large' }),
  415: () => invalidBody('unsupported Content-Type; send application/json'),
  429: () => ({ code: 'RATE_LIMITED', message: 'too many requests for this token; retry later' }),
};

/**
 * The one mapping from a thrown value to a status and a client-safe body `{code, message, details?}`.
 * Registered codes (AppError, or one revived from another process) keep their message and details,
 * which are written to be client-safe; anything else is INTERNAL with no detail at all.
 */
export function toErrorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (hasErrorCode(error)) {
    const details = (error as FastifyLikeError).details;
    const body: ErrorBody = { code: error.code, message: String(error.message) };
    if (details && typeof details === 'object') {
      body.details = details as Record<string, unknown>;
    }
    return { status: ERROR_CODES[error.code].status, body };
  }
  const e = (error ?? {}) as FastifyLikeError;
  const byCode = typeof e.code === 'string' ? FASTIFY_CODES[e.code] : undefined;
  if (byCode) {
    const body = byCode();
    return { status: ERROR_CODES[body.code].status, body };
  }
  const byStatus = typeof e.statusCode === 'number' ? BY_STATUS[e.statusCode] : undefined;
  if (byStatus) {
    const body = byStatus();
    return { status: ERROR_CODES[body.code].status, body };
  }
  return { status: 500, body: { code: 'INTERNAL', message: 'internal error' } };
}

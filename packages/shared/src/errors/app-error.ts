import { ERROR_CODES, type ErrorCode, isErrorCode } from './codes';

export interface AppErrorOptions {
  cause?: unknown;
  /** Structured, client-safe details (never secrets): e.g. the list of bad field paths. */
  details?: Record<string, unknown>;
}

/**
 * The one error type that crosses module, process and HTTP boundaries. Classify by `code`
 * (errors are serialised through BullMQ and HTTP), not by `instanceof`.
 */
export class AppError extends Error {
  override readonly name: string = 'AppError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.retryable = ERROR_CODES[code].retryable;
    this.details = options.details;
  }

  /** The client-safe JSON body: code, message and details; never a stack or a cause. */
  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** True for an AppError or anything that carries a registered `code` (e.g. deserialised). */
export function hasErrorCode(error: unknown): error is { code: ErrorCode; message: string } {
  return typeof error === 'object' && error !== null && isErrorCode((error as { code?: unknown }).code);
}

export function errorCodeOf(error: unknown): ErrorCode {
  return hasErrorCode(error) ? error.code : 'INTERNAL';
}

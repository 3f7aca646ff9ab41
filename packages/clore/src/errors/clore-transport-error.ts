import { AppError } from '@clore-batch/shared';
import type { Endpoint } from '../endpoints';

/**
 * How a request failed below the API level:
 * - `connect`: no connection was made (refused, DNS); the server never saw the request.
 * - `timeout`: no complete answer within the client's timeout.
 * - `reset`: the connection broke while sending or receiving.
 * - `non_json`: the answer was not a JSON object with a numeric `code`.
 * - `http_status`: HTTP 5xx (or another unexpected status) without a JSON `code`.
 */
export type TransportFailureKind = 'connect' | 'timeout' | 'reset' | 'non_json' | 'http_status';

export interface CloreTransportErrorOptions {
  endpoint: Endpoint;
  kind: TransportFailureKind;
  httpStatus?: number | undefined;
  cause?: unknown;
}

/**
 * The request may or may not have been processed: the answer was lost or unreadable. Stable code
 * CLORE_TIMEOUT for timeouts, CLORE_TRANSPORT_ERROR otherwise. `mayHaveReachedServer` is false only
 * when no connection was ever made: a create_order that failed any other way may have created an
 * order (clore-api.md Part A §3).
 */
export class CloreTransportError extends AppError {
  override readonly name = 'CloreTransportError';
  readonly endpoint: Endpoint;
  readonly kind: TransportFailureKind;
  readonly httpStatus: number | undefined;
  readonly mayHaveReachedServer: boolean;

  constructor(options: CloreTransportErrorOptions) {
    const status = options.httpStatus === undefined ? '' : `, HTTP ${options.httpStatus}`;
    super(
      options.kind === 'timeout' ? 'CLORE_TIMEOUT' : 'CLORE_TRANSPORT_ERROR',
      `Clore ${options.endpoint}: ${options.kind}${status}`,
      {
        cause: options.cause,
        details: {
          endpoint: options.endpoint,
          kind: options.kind,
          httpStatus: options.httpStatus,
          mayHaveReachedServer: options.kind !== 'connect',
        },
      },
    );
    this.endpoint = options.endpoint;
    this.kind = options.kind;
    this.httpStatus = options.httpStatus;
    this.mayHaveReachedServer = options.kind !== 'connect';
  }
}

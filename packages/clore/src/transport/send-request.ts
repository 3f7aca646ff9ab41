import type { Endpoint } from '../endpoints';
import { CloreApiError } from '../errors/clore-api-error';
import { CloreTransportError, type TransportFailureKind } from '../errors/clore-transport-error';
import { type Envelope, EnvelopeSchema } from '../schema/envelope';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface SendRequestOptions {
  fetch: FetchLike;
  baseUrl: string;
  apiKey: string;
  endpoint: Endpoint;
  method: 'GET' | 'POST';
  query?: Record<string, string>;
  body?: unknown;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

export interface SentResponse {
  httpStatus: number;
  /** The parsed JSON body; its `code` is 0. */
  body: Envelope;
}

function urlOf(options: SendRequestOptions): string {
  const base = options.baseUrl.replace(/\/+$/, '');
  const root = /\/v1$/.test(base) ? base : `${base}/v1`;
  const query = options.query === undefined ? '' : `?${new URLSearchParams(options.query).toString()}`;
  return `${root}/${options.endpoint}${query}`;
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Sort a thrown fetch/body error into a transport failure kind. */
function kindOf(error: unknown, timedOut: boolean): TransportFailureKind {
  if (timedOut) {
    return 'timeout';
  }
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECT_CODES.has(code)) {
      return 'connect';
    }
    current = (current as { cause?: unknown }).cause;
  }
  return 'reset';
}

/**
 * One HTTP exchange with the Clore API: the `auth` header, a timeout, and the envelope rules of
 * Part A §1. The JSON `code` decides whatever the HTTP status; a body that is not a JSON object
 * with a numeric `code` is a transport error. Returns only code-0 answers; throws CloreApiError
 * for the rest. The API key goes in the header and nowhere else (never in an error or a URL).
 */
export async function sendRequest(options: SendRequestOptions): Promise<SentResponse> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);
  const headers: Record<string, string> = { auth: options.apiKey, accept: 'application/json' };
  const init: RequestInit = { method: options.method, headers, signal };
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  let httpStatus: number;
  let text: string;
  try {
    const response = await options.fetch(urlOf(options), init);
    httpStatus = response.status;
    text = await response.text();
  } catch (error) {
    if (options.signal?.aborted === true && !timeout.aborted) {
      throw error;
    }
    throw new CloreTransportError({
      endpoint: options.endpoint,
      kind: kindOf(error, timeout.aborted),
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CloreTransportError({
      endpoint: options.endpoint,
      kind: httpStatus >= 500 ? 'http_status' : 'non_json',
      httpStatus,
      cause: error,
    });
  }
  const envelope = EnvelopeSchema.safeParse(json);
  if (!envelope.success) {
    throw new CloreTransportError({
      endpoint: options.endpoint,
      kind: httpStatus >= 500 ? 'http_status' : 'non_json',
      httpStatus,
    });
  }
  const body = envelope.data;
  if (body.code !== 0) {
    const extra: { timeToLoweringSeconds?: number; maxStep?: number } = {};
    if (body.time_to_lowering !== undefined) {
      extra.timeToLoweringSeconds = body.time_to_lowering;
    }
    if (body.max_step !== undefined) {
      extra.maxStep = body.max_step;
    }
    throw new CloreApiError({
      endpoint: options.endpoint,
      apiCode: body.code,
      apiError: body.error,
      httpStatus,
      extra,
    });
  }
  return { httpStatus, body };
}

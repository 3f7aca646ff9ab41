/** What an endpoint answers: an HTTP status and a JSON body that always has `code`. */
export interface ApiResult {
  status: number;
  body: { code: number } & Record<string, unknown>;
}

/** HTTP status per API code (clore-api.md §13: 200 for 0/6, 429 for 5, 401 for 3, 500/400/404 for 1/2/4). */
export const STATUS_OF_CODE: Readonly<Record<number, number>> = Object.freeze({
  0: 200,
  1: 500,
  2: 400,
  3: 401,
  4: 404,
  5: 429,
  6: 200,
});

export function ok(body: Record<string, unknown> = {}): ApiResult {
  return { status: 200, body: { ...body, code: 0 } };
}

export function apiCode(code: 1 | 2 | 3 | 4 | 5): ApiResult {
  return { status: STATUS_OF_CODE[code] ?? 500, body: { code } };
}

/** Code 6 with an `error` string (and extra fields such as `time_to_lowering`). */
export function custom(error: string, extra: Record<string, unknown> = {}): ApiResult {
  return { status: 200, body: { code: 6, error, ...extra } };
}

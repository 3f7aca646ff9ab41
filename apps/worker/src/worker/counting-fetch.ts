import type { FetchLike } from '@clore-batch/clore';
import { METRICS, type TelemetryCounters } from '@clore-batch/shared';

/**
 * The Clore client's transport with telemetry: every answer counted by endpoint and API code
 * (`clore_api_calls_total`), code 5 answers also on their own (`clore_code5_answers_total`).
 * Transport failures count with code `transport`.
 */
export function countingFetch(
  telemetry: TelemetryCounters,
  inner: FetchLike = (input, init) => fetch(input, init),
): FetchLike {
  return async (input, init) => {
    const endpoint = /\/v1\/([a-z_]+)/.exec(new URL(input).pathname)?.[1] ?? 'unknown';
    let response: Response;
    try {
      response = await inner(input, init);
    } catch (error) {
      void telemetry.add(METRICS.cloreCalls, { endpoint, code: 'transport' });
      throw error;
    }
    void response
      .clone()
      .json()
      .then(
        (body: unknown) => {
          const code = (body as { code?: unknown } | null)?.code;
          const label = typeof code === 'number' ? code : 'none';
          void telemetry.add(METRICS.cloreCalls, { endpoint, code: label });
          if (code === 5) {
            void telemetry.add(METRICS.code5Answers, { endpoint });
          }
        },
        () => telemetry.add(METRICS.cloreCalls, { endpoint, code: 'not_json' }),
      );
    return response;
  };
}

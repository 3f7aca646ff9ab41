import { z } from 'zod';
import type { Rng } from './rng';

/** Faults that can hit any endpoint, as probabilities 0..1 per call. */
export interface EndpointFaults {
  /** Answer HTTP 500 with a non-API body; the call is not performed. */
  http500?: number;
  /** Answer HTTP 502 (as a proxy would); the call is not performed. */
  http502?: number;
  /** Never answer (until the client gives up or the simulator closes); not performed. */
  hang?: number;
  /** Destroy the connection without an answer; not performed. */
  reset?: number;
  /** Answer 200 with an HTML body; not performed. */
  nonJson?: number;
  /** create_order only: answer `{"code":1}` (DATABASE ERROR); not performed. */
  code1?: number;
  /** create_order only: the order IS created, then the answer is lost (see `lostResponseMode`). */
  lostResponse?: number;
}

export const ENDPOINT_FAULT_KINDS = [
  'http500',
  'http502',
  'hang',
  'reset',
  'nonJson',
  'code1',
  'lostResponse',
] as const;
export type EndpointFaultKind = (typeof ENDPOINT_FAULT_KINDS)[number];

export interface FaultSettings {
  /** Per endpoint name (e.g. `create_order`) or `'*'` for every endpoint. A named entry overrides `'*'` per kind. */
  endpoints?: Record<string, EndpointFaults>;
  /** How a lost create_order answer is lost: the socket is destroyed (default) or the request hangs. */
  lostResponseMode?: 'reset' | 'hang';
  /** Probability that a new order never comes up (stays `mon_container: 0`, sshd never starts). */
  neverUp?: number;
  /** Server ids whose orders never come up (deterministic). */
  neverUpServers?: number[];
  /** After an order is provisioned, its sshd refuses connections for this many real ms. */
  sshRefuseMs?: number;
  /** Extra real ms before every /v1 call is performed and answered, uniform in [min, max]. */
  latencyMs?: [number, number];
  /** Per running spot order, the chance per sim hour of being outbid (the order ends, reason `outbid`). */
  spotOutbidPerHour?: number;
  /** Per my_orders answer, the chance that it lists no order at all (Part A 7: answers can be empty). */
  myOrdersEmpty?: number;
  /** Per my_orders answer, the chance that it leaves out some of the active orders (at least one). */
  myOrdersShort?: number;
  /**
   * Per display field of each of the key's own orders in a my_orders answer, the chance it is sent
   * as `null` (the fields of MY_ORDERS_NULLABLE_FIELDS; Part A 16).
   */
  nullFields?: number;
}

/** The fields of the key's own orders that the `nullFields` fault may send as `null`. */
export const MY_ORDERS_NULLABLE_FIELDS = [
  'http_pub',
  'http_port',
  'auto_login',
  'owner',
  'rating',
  'reliability',
  'cuda_version',
  'gpu_array',
  'gpu_count',
  'total_gpus',
  'order_end',
  'fee',
] as const;

/** The shape `PUT /_sim/faults`, `--faults` and `SimOptions.faults` must have (unknown keys rejected). */
const EndpointFaultsSchema = z.strictObject({
  http500: z.number().min(0).max(1).optional(),
  http502: z.number().min(0).max(1).optional(),
  hang: z.number().min(0).max(1).optional(),
  reset: z.number().min(0).max(1).optional(),
  nonJson: z.number().min(0).max(1).optional(),
  code1: z.number().min(0).max(1).optional(),
  lostResponse: z.number().min(0).max(1).optional(),
});

export const FaultSettingsSchema = z.strictObject({
  endpoints: z.record(z.string(), EndpointFaultsSchema).optional(),
  lostResponseMode: z.enum(['reset', 'hang']).optional(),
  neverUp: z.number().min(0).max(1).optional(),
  neverUpServers: z.array(z.number().int()).optional(),
  sshRefuseMs: z.number().min(0).optional(),
  spotOutbidPerHour: z.number().min(0).optional(),
  latencyMs: z.tuple([z.number().min(0), z.number().min(0)]).optional(),
  myOrdersEmpty: z.number().min(0).max(1).optional(),
  myOrdersShort: z.number().min(0).max(1).optional(),
  nullFields: z.number().min(0).max(1).optional(),
});

/** A validated private copy of fault settings; throws on an unknown key or an out-of-range value. */
export function normalizeFaults(faults: FaultSettings | undefined): FaultSettings {
  const parsed = FaultSettingsSchema.safeParse(faults ?? {});
  if (!parsed.success) {
    throw new Error(`invalid fault settings: ${parsed.error.message}`);
  }
  return structuredClone(parsed.data) as FaultSettings;
}

function rateFor(faults: FaultSettings, endpoint: string, kind: EndpointFaultKind): number {
  const own = faults.endpoints?.[endpoint]?.[kind];
  if (own !== undefined) {
    return own;
  }
  return faults.endpoints?.['*']?.[kind] ?? 0;
}

/**
 * Roll the endpoint faults for one call, in a fixed order; at most one fires. `code1` and
 * `lostResponse` only apply to create_order.
 */
export function rollEndpointFault(
  faults: FaultSettings,
  endpoint: string,
  rng: Rng,
): EndpointFaultKind | null {
  for (const kind of ENDPOINT_FAULT_KINDS) {
    if ((kind === 'code1' || kind === 'lostResponse') && endpoint !== 'create_order') {
      continue;
    }
    if (rng.chance(rateFor(faults, endpoint, kind))) {
      return kind;
    }
  }
  return null;
}

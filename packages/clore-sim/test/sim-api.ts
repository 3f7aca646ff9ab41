import type { SimHandle } from '../src/start';

/** Test support: calls to a running simulator over HTTP, as a client would make them. */
export interface CallResult {
  status: number;
  body: Record<string, unknown> & { code?: number };
}

export async function callApi(
  handle: Pick<SimHandle, 'url'>,
  key: string | undefined,
  endpoint: string,
  options: { body?: unknown; rawBody?: string; query?: Record<string, string> } = {},
): Promise<CallResult> {
  const url = new URL(`${handle.url}/v1/${endpoint}`);
  for (const [name, value] of Object.entries(options.query ?? {})) {
    url.searchParams.set(name, value);
  }
  const hasBody = options.body !== undefined || options.rawBody !== undefined;
  const response = await fetch(url, {
    method: hasBody ? 'POST' : 'GET',
    headers: {
      ...(key === undefined ? {} : { auth: key }),
      ...(hasBody ? { 'content-type': 'application/json' } : {}),
    },
    body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as CallResult['body'] };
}

export async function simGet<T>(handle: Pick<SimHandle, 'url'>, path: string): Promise<T> {
  const response = await fetch(`${handle.url}${path}`);
  return (await response.json()) as T;
}

export async function simSend<T>(
  handle: Pick<SimHandle, 'url'>,
  method: 'POST' | 'PUT',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${handle.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

/** An online, free, non-GigaSPOT, reliable server that takes `currency` (and is not in `exclude`). */
export function availableServer(
  handle: SimHandle,
  currency = 'CLORE-Blockchain',
  exclude: number[] = [],
): number {
  for (const server of handle.sim.servers.values()) {
    if (
      server.online &&
      !server.gigaspot &&
      !handle.sim.isRented(server) &&
      server.allowedCoins.includes(currency as never) &&
      !exclude.includes(server.id)
    ) {
      return server.id;
    }
  }
  throw new Error(`no available server for ${currency}`);
}

/** A create_order body: an on-demand order on `serverId` paid in CLORE, image `x`; `extra` on top. */
export function orderBody(serverId: number, extra: Record<string, unknown> = {}) {
  return { renting_server: serverId, type: 'on-demand', currency: 'CLORE-Blockchain', image: 'x', ...extra };
}

/**
 * Options for fast tests: no rate limits, quick provisioning (the first half at mon_container 0,
 * long enough for a my_orders right after create_order to see it).
 */
export const FAST = {
  limits: { generalMs: 0, createMs: 0 },
  provisioningMs: [80, 120] as [number, number],
};

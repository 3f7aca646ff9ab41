import { type KeyEntry, keyTable } from './key-entry';

/**
 * The keys of the Clore rate limiter (packages/clore, docs/decisions/0030) for one API key. All
 * share the hash tag `{<keyHash>}`, so they live in one cluster slot; every process using the same
 * API key in a deployment shares one schedule.
 */
export function cloreLimiterKeys(prefix: string, keyHash: string) {
  const base = `${prefix}:clore-limiter:{${keyHash}}`;
  return {
    /** HASH: `g` / `c` = earliest time (ms) of the next general / create slot; `sg` / `sc` = last sent. */
    state: `${base}:state`,
    /** ZSET: the waiting room, ticket → lane priority × 1e13 + arrival seq. */
    wait: `${base}:wait`,
    /** ZSET: ticket → time (ms) after which the ticket counts as abandoned. */
    alive: `${base}:alive`,
    /** STRING: the arrival counter. */
    seq: `${base}:seq`,
    /** Pub/sub channel: a slot may be free (wakes the waiters). */
    wake: `${base}:wake`,
  };
}

export type CloreLimiterKeys = ReturnType<typeof cloreLimiterKeys>;

/** The keys written by the API and the worker processes themselves (not by a shared service). */
export function serviceKeys(prefix: string) {
  return {
    /**
     * The API's per-token request counters (@fastify/rate-limit's Redis store appends
     * `token:<name>` or `ip:<address>` to this namespace): STRING counters with a TTL.
     */
    apiRateNamespace: `${prefix}:api-rate:`,
    /** STRING, JSON `{ name, tokenMac, createdAt }` with a TTL: one admin session, by SHA-256 (hex) of its id. */
    adminSession: (sessionIdSha256: string) => `${prefix}:admin:session:${sessionIdSha256}`,
    /**
     * STRING (30 days): where byte 0 of attempt `n`'s remote log sat in the job's log. Written by
     * workers before docs/decisions/0130 (now the log meta's cursor); read only to resume their attempts.
     */
    logBase: (jobId: string, n: number) => `${prefix}:worker:logbase:${jobId}:${n}`,
    /**
     * ZSET: the dashboard's queue-depth samples, member `<ms>:<queued>:<provisioning>:<code5Total>`, score the
     * sample's time (ms); the API adds one a minute and trims it to 30 days (queue-depth-sampler.ts).
     */
    queueDepthSamples: `${prefix}:dashboard:queue-depth`,
  };
}

/** The registry lines of the limiter's and the processes' own keys. */
export const SERVICE_KEY_ENTRIES: readonly KeyEntry[] = keyTable(`
  clore-limiter:{<hex>}:state | hash    | the limiter's schedule for one API key
  clore-limiter:{<hex>}:wait  | zset    | the limiter's waiting room
  clore-limiter:{<hex>}:alive | zset    | the limiter's waiting tickets' deadlines
  clore-limiter:{<hex>}:seq   | string  | the limiter's arrival counter
  clore-limiter:{<hex>}:wake  | channel | a limiter slot may be free
  api-rate:<rest>             | string  | the API's request counter of one token or address
  admin:session:<hex>         | string  | JSON of one dashboard session (TTL)
  worker:logbase:<id>:<int>   | string  | the job log offset of an attempt's remote log (older workers; read only)
  dashboard:queue-depth       | zset    | the dashboard's samples (<ms>:<queued>:<provisioning>:<code5 total>, score ms; 30 days)
`);

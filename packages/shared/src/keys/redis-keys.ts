import { FLEET_KEY_ENTRIES, fleetKeys } from '../fleet/fleet-keys';
import { FAIR_KEY_ENTRIES, fairKeys } from '../queue/fair-keys';
import { BULL_KEY_ENTRIES, bullPrefix } from '../queue/queues';
import { STORE_KEY_ENTRIES, storeKeys } from '../store/keys';
import { METRIC_KEY_ENTRIES, metricKey } from '../telemetry/counters';
import { EDGE_KEY_ENTRIES, edgeKeys } from '../tenants/edge-keys';
import { describeKey, type KeyEntry } from './key-entry';
import { cloreLimiterKeys, SERVICE_KEY_ENTRIES, serviceKeys } from './service-keys';

/**
 * Every Redis key and pub/sub channel a deployment writes, each under its REDIS_PREFIX, by
 * namespace: `jobstore:` (the job store), `fleet:` (the fleet leader's records), `bull:` (BullMQ),
 * `clore-limiter:` (the shared Clore rate limiter), `metrics:`, `api-rate:`, `admin:session:`,
 * `worker:logbase:`, `tenant:` and `auth-fail:` (the API edge), `fair:` (the fair-share dispatch). Nothing builds a key any other way; `REDIS_KEY_ENTRIES` documents each key's
 * type and content, and a test SCANs a deployment after an end-to-end run for keys it does not list
 * (apps/api/test/redis-keys.e2e.test.ts; docs/decisions/0127).
 */
export const REDIS_KEY_ENTRIES: readonly KeyEntry[] = [
  ...STORE_KEY_ENTRIES,
  ...FLEET_KEY_ENTRIES,
  ...BULL_KEY_ENTRIES,
  ...FAIR_KEY_ENTRIES,
  ...METRIC_KEY_ENTRIES,
  ...SERVICE_KEY_ENTRIES,
  ...EDGE_KEY_ENTRIES,
];

export function redisKeys(prefix: string) {
  return {
    prefix,
    store: storeKeys(prefix),
    fleet: fleetKeys(prefix),
    /** BullMQ's `prefix` option: every queue's keys live below it. */
    bull: bullPrefix(prefix),
    /** The fair-share dispatch of queued jobs (queue/fair-keys.ts). */
    fair: fairKeys(prefix),
    cloreLimiter: (keyHash: string) => cloreLimiterKeys(prefix, keyHash),
    metric: (metric: string) => metricKey(prefix, metric),
    ...serviceKeys(prefix),
    /** The API edge: per-tenant submit locks and failed-authentication counters (tenants/edge-keys.ts). */
    edge: edgeKeys(prefix),
    /** The registry line that describes `key` (a key of this deployment), or undefined. */
    describes: (key: string) => describeKey(prefix, REDIS_KEY_ENTRIES, key),
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;

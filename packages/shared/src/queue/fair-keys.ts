import { createHash } from 'node:crypto';
import { type KeyEntry, keyTable } from '../keys/key-entry';

/** Tenant names are user text: hashed into a fixed, separator-free key part. */
export function tenantPart(owner: string): string {
  return createHash('sha256').update(owner).digest('hex').slice(0, 32);
}

/**
 * The Redis keys of the fair-share dispatch (docs/decisions/0131), under `<prefix>:fair:`. A tenant
 * is the owner of its jobs (the token name). The dispatch scripts build a tenant's keys from
 * `tenantPrefix()` + the tenant part + the suffix, as these builders do.
 */
export function fairKeys(prefix: string) {
  const p = `${prefix}:fair`;
  const tenant = (owner: string) => `${p}:tenant:${tenantPart(owner)}`;
  return {
    /** SET: the tenant parts of the tenants with jobs in their ready set. */
    tenants: () => `${p}:tenants`,
    /** What the scripts put before a tenant part. */
    tenantPrefix: () => `${p}:tenant:`,
    /** HASH: `owner` (the name), `live` (the store's index keys of its provisioning/running/collecting jobs). */
    tenant,
    /** ZSET: the tenant's queued jobs; score the priority rank (0 high, 1 normal, 2 low), ids in time order. */
    ready: (owner: string) => `${tenant(owner)}:ready`,
    /** ZSET: jobs given a worker slot (score: ms) that may still be `queued` in the store; counted as running. */
    admitted: (owner: string) => `${tenant(owner)}:admitted`,
    /** SET: ready jobs not yet told that they wait for the tenant's maxRunningJobs. */
    unnoted: (owner: string) => `${tenant(owner)}:unnoted`,
  };
}

export type FairKeys = ReturnType<typeof fairKeys>;

/** The registry lines of the fair-share dispatch's keys (builders above; see keys/key-entry.ts). */
export const FAIR_KEY_ENTRIES: readonly KeyEntry[] = keyTable(`
  fair:tenants                   | set  | tenants with queued jobs in the fair-share dispatch
  fair:tenant:<hex>              | hash | a tenant's name and the store index keys of its running jobs
  fair:tenant:<hex>:ready        | zset | a tenant's queued job ids (score: priority rank, then id order)
  fair:tenant:<hex>:admitted     | zset | job ids given a worker slot, counted as running until they leave queued (score: ms)
  fair:tenant:<hex>:unnoted      | set  | queued job ids not yet told they wait for maxRunningJobs
`);

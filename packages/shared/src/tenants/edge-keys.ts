import { createHash } from 'node:crypto';

/** Tenant names and client addresses are user text: hashed into fixed, separator-free key parts. */
function part(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/**
 * The Redis keys the API's edge writes (tenant limits and failed-authentication counts), under the
 * deployment's REDIS_PREFIX. `EDGE_KEY_ENTRIES` describes them in the key registry's form
 * (pattern after `<prefix>:`, type, content) for the registry of issue 19.
 */
export function edgeKeys(prefix: string) {
  return {
    /** STRING, a random token with a TTL: held while one submit of the tenant checks its limits and creates the job. */
    tenantSubmitLock: (tenant: string) => `${prefix}:tenant:${part(tenant)}:submit-lock`,
    /** STRING counter with a TTL (the window): failed authentications from one client address. */
    authFailures: (address: string) => `${prefix}:auth-fail:${part(address)}`,
  };
}

export const EDGE_KEY_ENTRIES = [
  {
    pattern: 'tenant:<hex>:submit-lock',
    type: 'string',
    content: "the per-tenant lock around a submit's limit check and create (TTL)",
  },
  {
    pattern: 'auth-fail:<hex>',
    type: 'string',
    content: 'failed authentications from one client address in the window (TTL)',
  },
] as const;

/**
 * The fleet's Lua scripts (each atomic in Redis). Keys and arguments are documented per script.
 */

/**
 * Take a key if free, or extend it if the caller already holds it: the leader lease, a server claim.
 * KEYS[1] key; ARGV[1] holder (lease id, job id), ARGV[2] ttl ms.
 * Returns 1 when the caller holds the key afterwards (taken or extended), 0 otherwise.
 */
export const TAKE_OR_EXTEND = `
local holder = redis.call('get', KEYS[1])
if holder == ARGV[1] then
  redis.call('pexpire', KEYS[1], ARGV[2])
  return 1
end
if holder then return 0 end
redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

/**
 * Extend the lease only if the caller still holds it (never re-takes a lost one).
 * KEYS[1] lease; ARGV[1] holder id, ARGV[2] ttl ms. Returns 1 if extended, 0 if not held.
 */
export const LEASE_EXTEND = `
if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('pexpire', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

/**
 * Compare-and-delete: delete KEYS[1] only if its value is ARGV[1]. Returns 1 if deleted.
 * Used for the lease on stop and for server claims.
 */
export const DELETE_IF_EQUAL = `
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
`;

/**
 * A leader's write, fenced by the lease: a demoted leader whose poll was still in flight cannot
 * overwrite the new leader's snapshot.
 * KEYS[1] lease, KEYS[2] target; ARGV[1] holder id, ARGV[2] value, ARGV[3] channel, ARGV[4] message.
 * Returns 1 if written (and published), 0 if the caller no longer holds the lease.
 */
export const FENCED_SET_PUBLISH = `
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('set', KEYS[2], ARGV[2])
redis.call('publish', ARGV[3], ARGV[4])
return 1
`;

/**
 * Replace a hash field only if it exists (bindOrder must not resurrect a removed intent).
 * KEYS[1] hash; ARGV[1] field, ARGV[2] value. Returns 1 if replaced.
 */
export const HSET_IF_EXISTS = `
if redis.call('hexists', KEYS[1], ARGV[1]) == 1 then
  redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
  return 1
end
return 0
`;

/**
 * Ask for a cancel: due now (or sooner than already scheduled), context kept from the first ask.
 * KEYS[1] cancels zset, KEYS[2] cancel info hash; ARGV[1] order id, ARGV[2] due ms, ARGV[3] info
 * JSON, ARGV[4] channel. Returns 1 if the order was not pending before.
 */
export const REQUEST_CANCEL = `
local fresh = redis.call('hsetnx', KEYS[2], ARGV[1], ARGV[3])
redis.call('zadd', KEYS[1], 'LT', ARGV[2], ARGV[1])
redis.call('publish', ARGV[4], ARGV[1])
return fresh
`;

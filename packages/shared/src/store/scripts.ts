import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * The job store's Lua scripts: every write that must be atomic (create with idempotency, the
 * compare-and-set of a record and its index sets, log appends, delete) runs as one script, and each
 * publishes its live notification in the same step. Keys and arguments are documented per script.
 * Not Redis Cluster safe: a script touches the job's keys and the shared index sets.
 */
export interface LuaScript {
  name: string;
  lua: string;
  sha: string;
}

export function script(name: string, lua: string): LuaScript {
  return { name, lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/**
 * The body of CREATE_JOB as a Lua function of its keys and arguments (K, A), shared with CREATE_SWEEP.
 * K: 1 job, 2 index:all, 3 index:owner, 4 index:state(queued), 5 index:owner:state(queued),
 *    6 secrets, 7 idempotency.
 * A: 1 id, 2 json, 3 state, 4 version, 5 owner, 6 use idempotency ('1'|'0'), 7 request hash,
 *    8 idempotency TTL seconds, 9 sealed secretEnv ('' for none), 10 sealed registryAuth ('' for none).
 * Returns {'created', id} | {'existing', id} (same key, same hash) | {'conflict', id} (other hash).
 * The job's hash keeps the idempotency key's name (`idem`) so that the job's deletion removes it too.
 */
const CREATE_JOB_FUNCTION = `
local function claim(key, record, id, hash, ttl)
  local existing = redis.call('GET', key)
  if existing then
    local sep = string.find(existing, '\\n', 1, true)
    local earlier = string.sub(existing, 1, sep - 1)
    if string.sub(existing, sep + 1) == hash then
      return {'existing', earlier}
    end
    return {'conflict', earlier}
  end
  redis.call('SET', key, id .. '\\n' .. hash, 'EX', ttl)
  redis.call('HSET', record, 'idem', key)
  return nil
end

local function create_job(K, A)
  if A[6] == '1' then
    local answer = claim(K[7], K[1], A[1], A[7], A[8])
    if answer then
      return answer
    end
  end
  redis.call('HSET', K[1], 'json', A[2], 'state', A[3], 'version', A[4], 'owner', A[5])
  for i = 2, 5 do
    redis.call('ZADD', K[i], 0, A[1])
  end
  if A[9] ~= '' then
    redis.call('HSET', K[6], 'secretEnv', A[9])
  end
  if A[10] and A[10] ~= '' then
    redis.call('HSET', K[6], 'registryAuth', A[10])
  end
  return {'created', A[1]}
end
`;

/** KEYS and ARGV: those of CREATE_JOB_FUNCTION. */
export const CREATE_JOB = script('create-job', `${CREATE_JOB_FUNCTION}\nreturn create_job(KEYS, ARGV)\n`);

/** Keys and arguments of one job in CREATE_SWEEP. */
export const SWEEP_JOB_KEYS = 7;
export const SWEEP_JOB_ARGS = 10;

/**
 * A sweep and all its jobs in one step (docs/decisions/0136): the sweep's idempotency claim, its
 * record and owner index, then CREATE_JOB for each job (without a per-job idempotency key).
 * KEYS: 1 sweep, 2 index:sweeps:owner, 3 sweep idempotency, then SWEEP_JOB_KEYS per job.
 * ARGV: 1 sweep id, 2 sweep json, 3 owner, 4 use idempotency ('1'|'0'), 5 request hash,
 *       6 idempotency TTL seconds, then SWEEP_JOB_ARGS per job.
 * Returns {'created', id} | {'existing', id} | {'conflict', id}, as CREATE_JOB.
 */
export const CREATE_SWEEP = script(
  'create-sweep',
  `${CREATE_JOB_FUNCTION}
if ARGV[4] == '1' then
  local answer = claim(KEYS[3], KEYS[1], ARGV[1], ARGV[5], ARGV[6])
  if answer then
    return answer
  end
end
redis.call('HSET', KEYS[1], 'json', ARGV[2], 'owner', ARGV[3])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
local jobs = (#KEYS - 3) / ${SWEEP_JOB_KEYS}
for i = 0, jobs - 1 do
  local k = {}
  for j = 1, ${SWEEP_JOB_KEYS} do
    k[j] = KEYS[3 + i * ${SWEEP_JOB_KEYS} + j]
  end
  local a = {}
  for j = 1, ${SWEEP_JOB_ARGS} do
    a[j] = ARGV[6 + i * ${SWEEP_JOB_ARGS} + j]
  end
  create_job(k, a)
end
return {'created', ARGV[1]}
`,
);

/**
 * The compare-and-set of a job record: writes only if the stored state and version are the expected
 * ones and, for a worker's write (a fence token given), only while the job's lease holds that token;
 * moves the id between state index sets when the state changes; adds the terminal-effects outbox
 * entry when one is given (a terminal state of a job with a webhookUrl: written with the state or not
 * at all); on the write that makes the job terminal, enters it in the finished index (retention) and,
 * when it holds secrets, in the unpurged set (retention.ts); then publishes.
 * KEYS: 1 job, 2 index:state(from), 3 index:state(to), 4 index:owner:state(from), 5 index:owner:state(to),
 *       6 lease, 7 outbox, 8 finished, 9 unpurged, 10 secrets.
 * ARGV: 1 expected state, 2 expected version, 3 new state, 4 new version, 5 json, 6 id, 7 channel,
 *       8 fence token ('' = not fenced: the API's writes), 9 outbox member ('' = none),
 *       10 outbox score (ms), 11 outbox channel, 12 '1' when the write ends the job (the finished
 *       index is scored with Redis TIME: one clock for every writer and the sweep), 13.. messages to
 *       publish on the channel, in order.
 * Returns {'ok'} | {'missing'} | {'lost'} (the lease is gone or another's) | {'conflict', state, version}.
 */
export const WRITE_JOB = script(
  'write-job',
  `
local current = redis.call('HMGET', KEYS[1], 'state', 'version')
if not current[1] then
  return {'missing'}
end
if ARGV[8] ~= '' and redis.call('GET', KEYS[6]) ~= ARGV[8] then
  return {'lost'}
end
if current[1] ~= ARGV[1] or current[2] ~= ARGV[2] then
  return {'conflict', current[1], current[2]}
end
redis.call('HSET', KEYS[1], 'json', ARGV[5], 'state', ARGV[3], 'version', ARGV[4])
if ARGV[1] ~= ARGV[3] then
  redis.call('ZREM', KEYS[2], ARGV[6])
  redis.call('ZADD', KEYS[3], 0, ARGV[6])
  redis.call('ZREM', KEYS[4], ARGV[6])
  redis.call('ZADD', KEYS[5], 0, ARGV[6])
end
if ARGV[9] ~= '' then
  redis.call('ZADD', KEYS[7], 'NX', ARGV[10], ARGV[9])
end
if ARGV[12] == '1' then
  local t = redis.call('TIME')
  local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('ZADD', KEYS[8], ms, ARGV[6])
  if redis.call('EXISTS', KEYS[10]) == 1 then
    redis.call('ZADD', KEYS[9], ms, ARGV[6])
  end
end
for i = 13, #ARGV do
  redis.call('PUBLISH', ARGV[7], ARGV[i])
end
if ARGV[9] ~= '' then
  redis.call('PUBLISH', ARGV[11], ARGV[9])
end
return {'ok'}
`,
);

/**
 * Append bytes to the log tail if the stored size is the expected one (the bytes were already
 * written to the files at that offset) and, when fenced, the job's lease holds the writer's token;
 * trim the tail to the last max bytes once it has grown past twice that, fix the log's layout
 * (`max`, LOG_MAX_BYTES) if it has none, store the writer's cursor with the bytes it stands for
 * (docs/decisions/0130), and publish `{type:'log', offset, length}` when there are bytes.
 * KEYS: 1 log-meta, 2 log-tail, 3 lease, 4 job. ARGV: 1 expected size, 2 bytes, 3 max tail bytes,
 * 4 channel, 5 message, 6 fence token ('' = not fenced), 7 layout max, 8 cursor ('' = none).
 * Returns {1, new size} | {0, current size} | {-1, current size} (lease lost) | {-2, size} (no job).
 */
export const APPEND_LOG = script(
  'append-log',
  `
local size = tonumber(redis.call('HGET', KEYS[1], 'size') or '0')
if ARGV[6] ~= '' then
  if redis.call('EXISTS', KEYS[4]) == 0 then
    return {-2, size}
  end
  if redis.call('GET', KEYS[3]) ~= ARGV[6] then
    return {-1, size}
  end
end
if size ~= tonumber(ARGV[1]) then
  return {0, size}
end
local newSize = size + string.len(ARGV[2])
if newSize > size then
  local length = redis.call('APPEND', KEYS[2], ARGV[2])
  local tailStart = newSize - length
  local max = tonumber(ARGV[3])
  if length > 2 * max then
    redis.call('SET', KEYS[2], redis.call('GETRANGE', KEYS[2], length - max, -1))
    tailStart = newSize - max
  end
  redis.call('HSET', KEYS[1], 'size', newSize, 'tailStart', tailStart)
end
redis.call('HSETNX', KEYS[1], 'max', ARGV[7])
if ARGV[8] ~= '' then
  redis.call('HSET', KEYS[1], 'cursor', ARGV[8])
end
if newSize > size then
  redis.call('PUBLISH', ARGV[4], ARGV[5])
end
return {1, newSize}
`,
);

/**
 * Take a job's lease if nobody holds it (docs/decisions/0120).
 * KEYS: 1 lease, 2 job. ARGV: 1 token, 2 TTL ms.
 * Returns {'ok'} | {'missing'} (no such job) | {'held', holder token, ms left}.
 */
export const ACQUIRE_LEASE = script(
  'acquire-lease',
  `
if redis.call('EXISTS', KEYS[2]) == 0 then
  return {'missing'}
end
if redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then
  return {'ok'}
end
return {'held', redis.call('GET', KEYS[1]) or '', redis.call('PTTL', KEYS[1])}
`,
);

/**
 * Extend a lease by its TTL if the token still holds it. An expired lease is never taken back here:
 * it was lost, and only a fresh acquire (which re-reads the record) may own the job again.
 * KEYS: 1 lease, 2 job. ARGV: 1 token, 2 TTL ms. Returns 'held' | 'lost' | 'missing' (no such job).
 */
export const RENEW_LEASE = script(
  'renew-lease',
  `
if redis.call('EXISTS', KEYS[2]) == 0 then
  return 'missing'
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 'held'
end
return 'lost'
`,
);

/** Drop a lease if the token still holds it. KEYS: 1 lease. ARGV: 1 token. Returns 1 | 0. */
export const RELEASE_LEASE = script(
  'release-lease',
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`,
);

/**
 * Delete a job and everything of it in Redis, if its version is the expected one: its record,
 * lease, secrets, log tail and meta, index entries, its idempotency key (while it still names this
 * job), its outbox member and its entries in the finished and unpurged sets.
 * KEYS: 1 job, 2 lease, 3 secrets, 4 log-tail, 5 log-meta, 6 index:all, 7 index:owner, 8 index:state,
 *       9 index:owner:state, 10 outbox, 11 finished, 12 unpurged.
 * ARGV: 1 expected version, 2 id, 3 outbox member.
 * Returns {'ok'} | {'missing'} | {'conflict'}.
 */
export const DELETE_JOB = script(
  'delete-job',
  `
local version = redis.call('HGET', KEYS[1], 'version')
if not version then
  return {'missing'}
end
if version ~= ARGV[1] then
  return {'conflict'}
end
local idem = redis.call('HGET', KEYS[1], 'idem')
if idem then
  local held = redis.call('GET', idem)
  if held and string.sub(held, 1, #ARGV[2] + 1) == ARGV[2] .. '\\n' then
    redis.call('DEL', idem)
  end
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
for i = 6, 9 do
  redis.call('ZREM', KEYS[i], ARGV[2])
end
redis.call('ZREM', KEYS[10], ARGV[3])
redis.call('ZREM', KEYS[11], ARGV[2])
redis.call('ZREM', KEYS[12], ARGV[2])
return {'ok'}
`,
);

/**
 * Delete a finished job's sealed secrets if its version is the expected one (the caller checked that
 * every order of it has ended), and take it out of the unpurged set.
 * KEYS: 1 job, 2 secrets, 3 unpurged. ARGV: 1 expected version, 2 id.
 * Returns {'ok'} | {'missing'} (the job is gone: its id leaves the set too) | {'conflict'}.
 */
export const PURGE_SECRETS = script(
  'purge-secrets',
  `
local version = redis.call('HGET', KEYS[1], 'version')
if not version then
  redis.call('ZREM', KEYS[3], ARGV[2])
  return {'missing'}
end
if version ~= ARGV[1] then
  return {'conflict'}
end
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[2])
return {'ok'}
`,
);

/**
 * Store one sealed secret of a job that exists and is not finished (a finished job's secrets are
 * purged once its orders end: a late writer, e.g. a worker past its lease, must not bring one back).
 * KEYS: 1 job, 2 secrets. ARGV: 1 name, 2 sealed value, 3.. the terminal states.
 * Returns {'ok'} | {'missing'} | {'finished', state}.
 */
export const SET_SECRET = script(
  'set-secret',
  `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then
  return {'missing'}
end
for i = 3, #ARGV do
  if state == ARGV[i] then
    return {'finished', state}
  end
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return {'ok'}
`,
);

type Arg = string | number | Buffer;

/** Run a script by its SHA, loading it on NOSCRIPT (a fresh or restarted Redis). */
export async function runScript(redis: Redis, s: LuaScript, keys: string[], args: Arg[]): Promise<unknown> {
  try {
    return await redis.evalsha(s.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
      return redis.eval(s.lua, keys.length, ...keys, ...args);
    }
    throw error;
  }
}

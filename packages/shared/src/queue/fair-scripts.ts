import { script } from '../store/scripts';

/**
 * The fair-share dispatch's Lua scripts (docs/decisions/0131). Like the store's scripts they read
 * job hashes (and, in FAIR_PICK, every tenant's keys) not declared in KEYS: not Redis Cluster safe.
 * "Queued" is always the store's own `state` field of the job hash, read in the same step.
 */

/**
 * Put a queued job in its tenant's ready set (idempotent): the submit, the enqueue sweep.
 * KEYS: 1 tenants, 2 tenant hash, 3 ready, 4 admitted, 5 unnoted, 6 the job's hash.
 * ARGV: 1 job id, 2 tenant part, 3 owner, 4 live index keys (space separated), 5 priority rank.
 * Returns 1 when added, 0 when the job is not queued, already admitted or already there.
 */
export const FAIR_ENTER = script(
  'fair-enter',
  `
if redis.call('HGET', KEYS[6], 'state') ~= 'queued' then
  return 0
end
if redis.call('ZSCORE', KEYS[4], ARGV[1]) then
  return 0
end
redis.call('HSET', KEYS[2], 'owner', ARGV[3], 'live', ARGV[4])
redis.call('SADD', KEYS[1], ARGV[2])
if redis.call('ZADD', KEYS[3], 'NX', ARGV[5], ARGV[1]) == 0 then
  return 0
end
redis.call('SADD', KEYS[5], ARGV[1])
return 1
`,
);

/**
 * Choose who gets the next worker slots, and (with a job in hand) run or park that job.
 *
 * A tenant's running count is derived, never kept: the sizes of its live store indexes (HASH field
 * `live`) plus its admitted jobs still queued in the store (others are dropped from the set here).
 * A slot goes to the tenant under its maxRunningJobs with the fewest running, ties to the smaller
 * (older) id of the tenants' next jobs; a tenant's next job is the first of its ready set (priority
 * rank, then id) or the job in hand if that comes first. `slots` slots are handed out in turn, each
 * one counted as running for the next turn.
 *
 * ARGV: 1 tenant key prefix (`<prefix>:fair:tenant:`), 2 tenants set key, 3 job hash prefix,
 *       4 now (ms), 5 slots, 6 default maxRunningJobs (0: none), 7 n, then n pairs (tenant part,
 *       maxRunningJobs or 0) of the tenants listed by name; then, with a job in hand: id, tenant part,
 *       owner, live index keys, priority rank.
 * Returns {verdict, picks, notes}: verdict 'none' (no job in hand), 'gone' (it is not queued), 'run'
 * (it got a slot: admitted), 'park' (it waits: in its ready set); picks the other jobs given a slot,
 * in order; notes {owner, running, limit, {ids}} per tenant at its limit whose ready jobs were not
 * yet told why they wait (they are marked told).
 */
export const FAIR_PICK = script(
  'fair-pick',
  `
local TP, TENANTS, JP = ARGV[1], ARGV[2], ARGV[3]
local now, slots, default = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local limits = {}
local a = 8
for _ = 1, tonumber(ARGV[7]) do
  limits[ARGV[a]] = tonumber(ARGV[a + 1])
  a = a + 2
end
local X, XT, XOWNER, XLIVE, XRANK = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], tonumber(ARGV[a + 4])

local function queued(id)
  return redis.call('HGET', JP .. id, 'state') == 'queued'
end

if X then
  if not queued(X) then
    return {'gone', {}, {}}
  end
  if redis.call('ZSCORE', TP .. XT .. ':admitted', X) then
    return {'run', {}, {}}
  end
  redis.call('HSET', TP .. XT, 'owner', XOWNER, 'live', XLIVE)
end

local function running(part)
  local count = 0
  local live = redis.call('HGET', TP .. part, 'live')
  if live then
    for key in string.gmatch(live, '%S+') do
      count = count + redis.call('ZCARD', key)
    end
  end
  local admitted = TP .. part .. ':admitted'
  for _, id in ipairs(redis.call('ZRANGE', admitted, 0, -1)) do
    if queued(id) then
      count = count + 1
    else
      redis.call('ZREM', admitted, id)
    end
  end
  return count
end

-- The first queued job of the tenant's ready set from t.pos (the job in hand skipped, ids no longer
-- queued dropped), and its rank.
local function readyAt(t)
  local ready = TP .. t.part .. ':ready'
  while true do
    local row = redis.call('ZRANGE', ready, t.pos, t.pos, 'WITHSCORES')
    if #row == 0 then
      return nil, nil
    end
    local id = row[1]
    if id == X then
      t.pos = t.pos + 1
    elseif queued(id) then
      return id, tonumber(row[2])
    else
      redis.call('ZREM', ready, id)
      redis.call('SREM', TP .. t.part .. ':unnoted', id)
    end
  end
end

local function advance(t)
  local id, rank = readyAt(t)
  t.head, t.isX = id, false
  if t.xPending and (id == nil or XRANK < rank or (XRANK == rank and X < id)) then
    t.head, t.isX = X, true
  end
end

local function blocked(t)
  return t.limit > 0 and t.count >= t.limit
end

local tenants, seen = {}, {}
local parts = redis.call('SMEMBERS', TENANTS)
if X then
  parts[#parts + 1] = XT
end
for _, part in ipairs(parts) do
  if not seen[part] then
    seen[part] = true
    local t = {part = part, pos = 0, xPending = (X ~= nil and part == XT), limit = limits[part] or default}
    advance(t)
    if t.head == nil then
      redis.call('SREM', TENANTS, part)
    else
      t.count = running(part)
      tenants[#tenants + 1] = t
    end
  end
end

local waiting = {}
for _, t in ipairs(tenants) do
  if blocked(t) then
    waiting[#waiting + 1] = t
  end
end

local picks, xTaken = {}, false
for _ = 1, slots do
  local best
  for _, t in ipairs(tenants) do
    if t.head and not blocked(t) and
        (best == nil or t.count < best.count or (t.count == best.count and t.head < best.head)) then
      best = t
    end
  end
  if best == nil then
    break
  end
  if best.isX then
    xTaken, best.xPending = true, false
  else
    picks[#picks + 1] = best.head
    best.pos = best.pos + 1
  end
  best.count = best.count + 1
  advance(best)
end

local verdict = 'none'
if X then
  local ready, unnoted = TP .. XT .. ':ready', TP .. XT .. ':unnoted'
  if xTaken then
    verdict = 'run'
    redis.call('ZADD', TP .. XT .. ':admitted', now, X)
    redis.call('ZREM', ready, X)
    redis.call('SREM', unnoted, X)
    if redis.call('ZCARD', ready) == 0 then
      redis.call('SREM', TENANTS, XT)
    end
  else
    verdict = 'park'
    if redis.call('ZADD', ready, 'NX', XRANK, X) == 1 then
      redis.call('SADD', unnoted, X)
    end
    redis.call('SADD', TENANTS, XT)
  end
end

local notes = {}
for _, t in ipairs(waiting) do
  local unnoted = TP .. t.part .. ':unnoted'
  local ids = redis.call('SMEMBERS', unnoted)
  if #ids > 0 then
    redis.call('DEL', unnoted)
    notes[#notes + 1] = {redis.call('HGET', TP .. t.part, 'owner') or '', t.count, t.limit, ids}
  end
end
return {verdict, picks, notes}
`,
);

/**
 * The limiter's Lua scripts. All keys of one API key share a hash tag, so they live in one
 * cluster slot. Times are Redis's own clock (TIME), so processes need not agree on theirs.
 *
 * Keys (cloreLimiterKeys(prefix, keyHash) in the key registry, base = `<prefix>:clore-limiter:{<keyHash>}`):
 *   KEYS[1] <base>:state  hash  g = earliest time (ms) of the next general slot,
 *                               c = earliest time (ms) of the next create slot,
 *                               sg / sc = when the last call / create_order was actually sent
 *   KEYS[2] <base>:wait   zset  the waiting room: ticket -> lane priority * 1e13 + arrival seq
 *   KEYS[3] <base>:alive  zset  ticket -> time (ms) after which the ticket counts as abandoned
 *   KEYS[4] <base>:seq    counter for arrival order
 * A ticket is "c:<id>" for a create_order and "g:<id>" for any other call.
 */

/** Shared Lua: the clock, and the head of the waiting room for a given slot. */
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function state(field, floor)
  local v = tonumber(redis.call('HGET', KEYS[1], field) or '0')
  return math.max(v, tonumber(floor or '0'))
end
-- The first ticket, in lane-then-arrival order, that may use a general slot at time 'slot':
-- a create only once its create spacing has passed, so a create that must still wait does not
-- hold back the calls behind it.
local function head(slot, nextC)
  local start = 0
  while start < 2000 do
    local batch = redis.call('ZRANGE', KEYS[2], start, start + 99)
    if #batch == 0 then return nil end
    for _, member in ipairs(batch) do
      if string.sub(member, 1, 2) ~= 'c:' or nextC <= slot then return member end
    end
    start = start + 100
  end
  return nil
end
local function touch(ttl)
  for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ttl) end
end
`;

/**
 * Try to take the next slot for a ticket (entering it into the waiting room if absent).
 * ARGV: 1 ticket, 2 priority, 3 aliveMs, 4 generalMs, 5 createMs, 6 lookaheadMs,
 *       7 floor g, 8 floor c, 9 channel, 10 key ttl ms
 * Returns {granted, delayMs, g, c}:
 *   granted=1: the slot is this ticket's; send after delayMs.
 *   granted=0, delayMs>=0: try again after delayMs (this ticket is next, or a create whose
 *     spacing has not passed); delayMs=-1: others are ahead; wait to be woken.
 */
export const TRY_ACQUIRE = `${PRELUDE}
local ticket = ARGV[1]
local isCreate = string.sub(ticket, 1, 2) == 'c:'
local G = tonumber(ARGV[4])
local C = tonumber(ARGV[5])
local lookahead = tonumber(ARGV[6])
if not redis.call('ZSCORE', KEYS[2], ticket) then
  local seq = redis.call('INCR', KEYS[4])
  redis.call('ZADD', KEYS[2], string.format('%.0f', tonumber(ARGV[2]) * 1e13 + seq), ticket)
end
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[3]), ticket)
local dead = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '(' .. now)
for _, d in ipairs(dead) do
  redis.call('ZREM', KEYS[2], d)
  redis.call('ZREM', KEYS[3], d)
end
local nextG = state('g', ARGV[7])
local nextC = state('c', ARGV[8])
local slot = math.max(now, nextG)
local first = head(slot, nextC)
touch(tonumber(ARGV[10]))
if first ~= ticket then
  if #dead > 0 and first then redis.call('PUBLISH', ARGV[9], first) end
  if isCreate and nextC > slot then
    return {0, math.max(0, nextC - lookahead - now), nextG, nextC}
  end
  return {0, -1, nextG, nextC}
end
if slot - now > lookahead then
  return {0, slot - now - lookahead, nextG, nextC}
end
nextG = slot + G
redis.call('HSET', KEYS[1], 'g', nextG)
if isCreate then
  nextC = slot + C
  redis.call('HSET', KEYS[1], 'c', nextC)
end
touch(tonumber(ARGV[10]))
redis.call('ZREM', KEYS[2], ticket)
redis.call('ZREM', KEYS[3], ticket)
local following = head(nextG, nextC)
if following then redis.call('PUBLISH', ARGV[9], following) end
return {1, slot - now, nextG, nextC}
`;

/**
 * Leave the waiting room without a slot (the caller gave up). ARGV: 1 ticket, 2 channel.
 * Wakes whoever is now at the head.
 */
export const RELEASE = `${PRELUDE}
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
local nextG = state('g', '0')
local first = head(math.max(now, nextG), state('c', '0'))
if first then redis.call('PUBLISH', ARGV[2], first) end
return 1
`;

/**
 * Push the shared schedule back: no general slot before now + ms. ARGV: 1 ms, 2 key ttl ms.
 * Returns {g, c}.
 */
export const PENALIZE = `${PRELUDE}
local nextG = math.max(state('g', '0'), now + tonumber(ARGV[1]))
redis.call('HSET', KEYS[1], 'g', nextG)
touch(tonumber(ARGV[2]))
return {nextG, state('c', '0')}
`;

/**
 * The holder of a slot is sending now: no next slot before now + spacing. A sender that woke late
 * (a busy machine) thereby pushes the schedule back instead of crowding the next call.
 * ARGV: 1 generalMs, 2 createMs, 3 isCreate (0/1), 4 key ttl ms. Returns {g, c}.
 */
/**
 * The send gate, passed right before a granted call goes out: refuses (returns {0, waitMs}) when the
 * last call sent with this key, or the last create, left less than a spacing ago. A reservation
 * alone cannot promise that: a process whose event loop stalls past its slot would send late, right
 * beside the next holder. On success it records the send time and pushes the schedule back from it.
 * ARGV: general spacing, create spacing, isCreate (1/0), key TTL.
 */
export const COMMIT = `${PRELUDE}
local spacingG = tonumber(ARGV[1])
local spacingC = tonumber(ARGV[2])
local isCreate = ARGV[3] == '1'
local wait = state('sg', '0') + spacingG - now
if isCreate then wait = math.max(wait, state('sc', '0') + spacingC - now) end
if wait > 0 then return {0, wait} end
redis.call('HSET', KEYS[1], 'sg', now)
local nextG = math.max(state('g', '0'), now + spacingG)
redis.call('HSET', KEYS[1], 'g', nextG)
local nextC = state('c', '0')
if isCreate then
  redis.call('HSET', KEYS[1], 'sc', now)
  nextC = math.max(nextC, now + spacingC)
  redis.call('HSET', KEYS[1], 'c', nextC)
end
touch(tonumber(ARGV[4]))
return {1, nextG, nextC}
`;

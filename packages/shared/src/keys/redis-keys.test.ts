import { describe, expect, it } from 'vitest';
import { JOB_STATES } from '../state/job-state';
import { patternRegExp, type RedisKeyType } from './key-entry';
import { REDIS_KEY_ENTRIES, redisKeys } from './redis-keys';

const PREFIX = 'cb-test';
const keys = redisKeys(PREFIX);
const JOB = '01JD0000000000000000000000';

/** Every builder of the registry, called once, with the type its entry must state. */
const BUILT: [string, RedisKeyType][] = [
  [keys.store.job(JOB), 'hash'],
  [keys.store.lease(JOB), 'string'],
  [keys.store.secrets(JOB), 'hash'],
  [keys.store.logTail(JOB), 'string'],
  [keys.store.logMeta(JOB), 'hash'],
  [keys.store.channel(JOB), 'channel'],
  [keys.store.all(), 'zset'],
  [keys.store.byOwner('alice@example.com'), 'zset'],
  ...JOB_STATES.map((state): [string, RedisKeyType] => [keys.store.byState(state), 'zset']),
  [keys.store.byOwnerState('a:b', 'running'), 'zset'],
  [keys.store.idempotency('alice', 'key:with:colons'), 'string'],
  [keys.store.finished(), 'zset'],
  [keys.store.unpurged(), 'zset'],
  [keys.store.sweep(`swp_${JOB}`), 'hash'],
  [keys.store.sweepsByOwner('alice@example.com'), 'zset'],
  [keys.store.sweepIdempotency('alice', 'key:with:colons'), 'string'],
  [keys.fleet.leader, 'string'],
  [keys.fleet.ordersSnapshot, 'string'],
  [keys.fleet.ordersChanged, 'channel'],
  [keys.fleet.pollRequests, 'channel'],
  [keys.fleet.demand.urgent, 'zset'],
  [keys.fleet.demand.background, 'zset'],
  [keys.fleet.demand.changed, 'channel'],
  [keys.fleet.marketplace, 'string'],
  [keys.fleet.marketplaceChanged, 'channel'],
  [keys.fleet.marketplaceRequests, 'channel'],
  [keys.fleet.intents, 'hash'],
  [keys.fleet.cancels, 'zset'],
  [keys.fleet.cancelInfo, 'hash'],
  [keys.fleet.cancelRequests, 'channel'],
  [keys.fleet.foreignOrders, 'hash'],
  [keys.fleet.orphans, 'hash'],
  [keys.fleet.claim(1234), 'string'],
  [`${keys.bull}:jobs:wait`, 'bullmq'],
  [keys.fair.tenants(), 'set'],
  [keys.fair.tenant('alice'), 'hash'],
  [keys.fair.ready('alice'), 'zset'],
  [keys.fair.admitted('alice'), 'zset'],
  [keys.fair.unnoted('alice'), 'set'],
  [`${keys.bull}:webhooks:${JOB}:lock`, 'bullmq'],
  [keys.cloreLimiter('0123456789abcdef').state, 'hash'],
  [keys.cloreLimiter('0123456789abcdef').wait, 'zset'],
  [keys.cloreLimiter('0123456789abcdef').alive, 'zset'],
  [keys.cloreLimiter('0123456789abcdef').seq, 'string'],
  [keys.cloreLimiter('0123456789abcdef').wake, 'channel'],
  [keys.metric('clore_api_calls_total'), 'hash'],
  [`${keys.apiRateNamespace}token:alice`, 'string'],
  [`${keys.apiRateNamespace}ip:::1`, 'string'],
  [keys.adminSession('ab'.repeat(32)), 'string'],
  [keys.logBase(JOB, 2), 'string'],
  [keys.queueDepthSamples, 'zset'],
];

describe('the Redis key registry', () => {
  it.each(BUILT)('describes %s, exactly once, as a %s', (key, type) => {
    const matching = REDIS_KEY_ENTRIES.filter((entry) => patternRegExp(PREFIX, entry.pattern).test(key));
    expect(matching.map((entry) => entry.pattern)).toHaveLength(1);
    expect(keys.describes(key)?.type).toBe(type);
  });

  it('describes no key outside the prefix or the namespaces', () => {
    expect(keys.describes(`other:${keys.store.job(JOB).slice(PREFIX.length + 1)}`)).toBeUndefined();
    expect(keys.describes(`${PREFIX}-2:fleet:leader`)).toBeUndefined();
    expect(keys.describes(`${PREFIX}:fleet:leader:x`)).toBeUndefined();
    expect(keys.describes(`${PREFIX}:limiter:{0123456789abcdef}:state`)).toBeUndefined();
    expect(keys.describes(`${PREFIX}:bull:other-queue:wait`)).toBeUndefined();
    expect(keys.describes(`${PREFIX}:anything`)).toBeUndefined();
  });

  it('documents every entry', () => {
    for (const entry of REDIS_KEY_ENTRIES) {
      expect(entry.content.length, entry.pattern).toBeGreaterThan(5);
      expect(() => patternRegExp(PREFIX, entry.pattern)).not.toThrow();
    }
    expect(new Set(REDIS_KEY_ENTRIES.map((e) => e.pattern)).size).toBe(REDIS_KEY_ENTRIES.length);
  });
});

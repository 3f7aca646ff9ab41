import { isIPv6 } from 'node:net';
import { AppError, edgeKeys, type Logger } from '@clore-batch/shared';
import type { Redis } from 'ioredis';

/**
 * Failed authentications per client address, counted in Redis (every API process together): a wrong
 * bearer token on the API or the dashboard, a wrong token at the dashboard login. Once an address
 * has `limit` failures in the window (fixed, from its first failure), every request from it that
 * needs a credential is refused 429 AUTH_RATE_LIMITED *before* its token is looked at, so guessing
 * stops there and a valid token does not help. A missing token is not a failure (nothing guessed).
 * IPv6 clients count per /64 (one host usually holds the whole /64). docs/decisions/0129.
 */
export interface AuthFailures {
  /** Throws AUTH_RATE_LIMITED (with `retryAfterSeconds`) when the address is over the limit. */
  assertAllowed(address: string): Promise<void>;
  /** Counts one failure of the address. */
  record(address: string): Promise<void>;
}

/** KEYS[1] counter. ARGV[1] window ms. Returns the new count; the first failure starts the window. */
const RECORD = `
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return n
`;

/** The part of an address that is counted: IPv4 as is (also when mapped into IPv6), IPv6 by its /64. */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] !== undefined) {
    return mapped[1];
  }
  if (!isIPv6(address)) {
    return address;
  }
  const [head = '', tail] = address.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export function createAuthFailures(options: {
  redis: Redis;
  prefix: string;
  limit: number;
  windowSeconds: number;
  logger: Logger;
}): AuthFailures {
  const keys = edgeKeys(options.prefix);
  const keyOf = (address: string) => keys.authFailures(addressKey(address));
  return {
    async assertAllowed(address) {
      const key = keyOf(address);
      let ttlMs: number;
      try {
        const count = await options.redis.get(key);
        if (count === null || Number(count) < options.limit) {
          return;
        }
        ttlMs = await options.redis.pttl(key);
      } catch (error) {
        // Like the request rate limit: a Redis blip does not lock every client out.
        options.logger.warn({ err: error }, 'failed-authentication count unavailable; request let through');
        return;
      }
      const retryAfterSeconds = Math.max(1, Math.ceil(ttlMs / 1_000));
      throw new AppError(
        'AUTH_RATE_LIMITED',
        `too many failed authentications from this address (${options.limit} in ${options.windowSeconds} s); retry in ${retryAfterSeconds} s`,
        { details: { retryAfterSeconds } },
      );
    },
    async record(address) {
      try {
        await options.redis.eval(RECORD, 1, keyOf(address), options.windowSeconds * 1_000);
      } catch (error) {
        options.logger.warn({ err: error }, 'failed authentication not counted (Redis)');
      }
    },
  };
}

import type { Redis } from 'ioredis';

/**
 * The fleet's one clock: Redis server time in ms. Every comparison between a time written by one
 * process and a time written by another (a cancel request and the poll that confirms it) uses it,
 * so clock skew between worker hosts can never make an order look ended before it was asked about.
 */
export async function fleetNow(redis: Redis): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000);
}

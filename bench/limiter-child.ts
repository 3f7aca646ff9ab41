/**
 * One OS process of bench/limiter.ts: `node --import tsx limiter-child.ts '<json>'`. Waits for the
 * go signal in Redis, makes `calls` marketplace/wallet/order reads through a CloreClient with the
 * shared limiter, one after another, and prints one JSON line: its limiter waits and errors.
 */
import { CloreClient, createRateLimiter, hashApiKey } from '@clore-batch/clore';
import { Redis } from 'ioredis';

export interface BenchChildConfig {
  simUrl: string;
  apiKey: string;
  redisUrl: string;
  prefix: string;
  generalSpacingMs: number;
  createSpacingMs: number;
  calls: number;
  readyKey: string;
  goKey: string;
}

export interface BenchChildResult {
  waitsMs: number[];
  errors: Record<string, number>;
}

const config = JSON.parse(process.argv[2] ?? '{}') as BenchChildConfig;
const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
const waitsMs: number[] = [];
const limiter = createRateLimiter({
  redis,
  keyHash: hashApiKey(config.apiKey),
  prefix: config.prefix,
  generalSpacingMs: config.generalSpacingMs,
  createSpacingMs: config.createSpacingMs,
  onAcquire: (event) => waitsMs.push(event.waitedMs),
});
const client = new CloreClient({ baseUrl: config.simUrl, apiKey: config.apiKey, limiter, timeoutMs: 30_000 });

await redis.incr(config.readyKey);
while ((await redis.exists(config.goKey)) === 0) {
  await new Promise((resolve) => setTimeout(resolve, 10));
}
// All in one lane: this measures throughput and fairness; lane priority has its own tests.
const lane = { lane: 'reads' } as const;
const reads = [() => client.wallets(lane), () => client.myOrders({}, lane), () => client.marketplace(lane)];
const errors: Record<string, number> = {};
for (let i = 0; i < config.calls; i += 1) {
  try {
    await reads[i % reads.length]?.();
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'unknown';
    errors[code] = (errors[code] ?? 0) + 1;
  }
}
const result: BenchChildResult = { waitsMs, errors };
process.stdout.write(`${JSON.stringify(result)}\n`);
await limiter.close();
await redis.quit();

import type { UsdRates } from '@clore-batch/clore';
import { fleetKeys, readFleetRecord } from '@clore-batch/shared';
import type { Redis } from 'ioredis';

/** USD per unit of each currency, from the fleet's marketplace snapshot (USD alone when none yet). */
export async function readUsdRates(redis: Redis, prefix: string): Promise<UsdRates> {
  const raw = await redis.get(fleetKeys(prefix).marketplace);
  return readFleetRecord('marketplace', raw)?.usdRates ?? { 'USD-Blockchain': 1 };
}

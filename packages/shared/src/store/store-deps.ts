import type { Redis } from 'ioredis';
import type { StoreKeys } from './keys';
import type { LiveHub } from './live-hub';

/** What every part of the job store shares (one bag, passed to each system). */
export interface StoreDeps {
  redis: Redis;
  keys: StoreKeys;
  /** Logs live under `<dataDir>/jobs/<id>/output.log`. */
  dataDir: string;
  /** Bytes of each job's log kept in Redis for live readers. */
  logTailBytes: number;
  now: () => Date;
  live: LiveHub;
}

/** How many times a read-modify-write is retried after losing a compare-and-set to another writer. */
export const CAS_RETRIES = 50;

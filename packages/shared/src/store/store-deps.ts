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
  /** Per job, the tail of this process's chain of log appends (appends of one job run one by one). */
  logChains: Map<string, Promise<unknown>>;
}

/** How many times a read-modify-write is retried after losing a compare-and-set to another writer. */
export const CAS_RETRIES = 50;

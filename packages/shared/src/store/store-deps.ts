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
  /** LOG_MAX_BYTES: the layout a job's log gets at its first append (log-layout.ts). */
  logMaxBytes: number;
  now: () => Date;
  live: LiveHub;
  /**
   * Set on a worker's fenced view of the store (`store.fenced(lease)`): writes of this job carry the
   * lease token and land only while the lease holds it (docs/decisions/0120). Absent for the API.
   */
  fence?: { jobId: string; token: string };
  /** Per job, the tail of this process's chain of log appends (appends of one job run one by one). */
  logChains: Map<string, Promise<unknown>>;
}

/** How many times a read-modify-write is retried after losing a compare-and-set to another writer. */
export const CAS_RETRIES = 50;

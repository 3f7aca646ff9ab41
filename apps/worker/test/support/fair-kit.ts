/**
 * Helpers of the fair-share tests: submit as a tenant the way the API does (the BullMQ `run` job,
 * then the tenant's ready set), and read a tenant's running count from Redis.
 */
import {
  addRun,
  createFairQueue,
  type JobRecord,
  type JobSpecInput,
  parseJobSpec,
  RUNNING_STATES,
  redisKeys,
  toStoredSpec,
} from '@clore-batch/shared';
import { type Kit, spec } from './e2e-kit';

/** What `POST /v1/jobs` does for `owner` after its checks (apps/api submit-job.ts + enqueue.ts). */
export async function submitAs(kit: Kit, owner: string, input: Partial<JobSpecInput>): Promise<JobRecord> {
  const parsed = parseJobSpec({ ...spec(), ...input }, { currency: 'USD-Blockchain' });
  const { job } = await kit.store.create({ spec: toStoredSpec(parsed), owner });
  await addRun(kit.queue, job.id);
  await createFairQueue(kit.redis, kit.prefix).enter(job);
  return job;
}

/**
 * The tenant's running count as the dispatch derives it: its jobs past queued (the store's indexes,
 * read in one step) and its admitted jobs still queued (entries of jobs that left queued are dropped
 * lazily, by the next decision, and do not count).
 */
export async function runningCount(kit: Kit, owner: string): Promise<{ live: number; admitted: number }> {
  const keys = redisKeys(kit.prefix);
  const multi = kit.redis.multi();
  for (const state of RUNNING_STATES) {
    multi.zcard(keys.store.byOwnerState(owner, state));
  }
  const live = ((await multi.exec()) ?? []).reduce((sum, [, n]) => sum + Number(n), 0);
  const admitted = await kit.redis.zrange(keys.fair.admitted(owner), '0', '-1');
  const states = await Promise.all(admitted.map((id) => kit.redis.hget(keys.store.job(id), 'state')));
  return { live, admitted: states.filter((state) => state === 'queued').length };
}

/** Samples `owner`'s live count every few ms until stopped; returns the most seen at once. */
export function watchRunning(kit: Kit, owner: string): { stop(): Promise<number> } {
  let most = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      most = Math.max(most, (await runningCount(kit, owner)).live);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return most;
    },
  };
}

/** [startedAt, finishedAt] in ms. */
export function span(job: JobRecord): [number, number] {
  return [Date.parse(job.startedAt ?? ''), Date.parse(job.finishedAt ?? '')];
}

export const overlaps = (a: JobRecord, b: JobRecord): boolean => {
  const [s1, e1] = span(a);
  const [s2, e2] = span(b);
  return s1 < e2 && s2 < e1;
};

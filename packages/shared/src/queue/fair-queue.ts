import type { Redis } from 'ioredis';
import type { Priority } from '../spec/job-spec';
import { isTerminal, JOB_STATES, type JobState } from '../state/job-state';
import { storeKeys } from '../store/keys';
import { runScript } from '../store/scripts';
import { DEFAULT_TENANT, type TenantLimits } from '../tenants/tenant-limits';
import { fairKeys, tenantPart } from './fair-keys';
import { FAIR_ENTER, FAIR_PICK } from './fair-scripts';

/**
 * The fair-share dispatch of queued jobs (docs/decisions/0131): which queued job gets a free worker
 * slot. Each tenant's queued jobs wait in its ready set (priority, then age); a slot goes to the
 * tenant under its `maxRunningJobs` with the fewest running jobs, ties to the oldest next job.
 * BullMQ still carries every job (the lock, the stalled-job recovery); this decides only whether a
 * queued job a worker took runs now or is parked (a delayed BullMQ job) until it is promoted.
 */

/** States that count as running for a tenant: past `queued`, not ended. */
export const RUNNING_STATES: readonly JobState[] = JOB_STATES.filter(
  (state) => state !== 'queued' && !isTerminal(state),
);

const RANK: Record<Priority, number> = { high: 0, normal: 1, low: 2 };

/** The fields of a job record the dispatch reads. */
export interface FairJob {
  id: string;
  owner: string;
  spec: { priority?: Priority | undefined };
}

/** Queued jobs of a tenant at its limit, not yet told why they wait. */
export interface WaitNote {
  owner: string;
  running: number;
  limit: number;
  jobIds: string[];
}

export interface FairChoice {
  /** `none`: no job in hand; `gone`: it is not queued; `run`: it got a slot; `park`: it waits. */
  verdict: 'none' | 'gone' | 'run' | 'park';
  /** Other queued jobs given one of the slots, in order: promote them (they may be parked). */
  picks: string[];
  notes: WaitNote[];
}

export interface FairQueue {
  /** Put a queued job in its tenant's ready set (idempotent; not if it is admitted or no longer queued). */
  enter(job: FairJob): Promise<boolean>;
  /**
   * A worker took `job` (queued) with `slots` free slots counting its own: run it (it is admitted and
   * counts as running from now) or park it; also names the other jobs that get the slots.
   */
  decide(job: FairJob, slots: number): Promise<FairChoice>;
  /** The jobs that get `slots` free slots, fairest first, without a job in hand. */
  pick(slots: number): Promise<FairChoice>;
  /** Take a job out of its tenant's sets (the retention sweep, before it deletes the job). */
  forget(job: Pick<FairJob, 'id' | 'owner'>): Promise<void>;
  /**
   * How many of the tenant's jobs were given a slot but are still `queued` in the store (the pick
   * counts them as running). Read only: stale entries are left for the pick to drop.
   */
  admittedQueued(owner: string): Promise<number>;
}

/** `[default, n, part, limit, ...]`: TENANT_LIMITS' maxRunningJobs as the pick script reads them (0: none). */
export function runningLimitArgs(limits: TenantLimits): string[] {
  const named = Object.keys(limits).filter((name) => name !== DEFAULT_TENANT);
  return [
    String(limits[DEFAULT_TENANT]?.maxRunningJobs ?? 0),
    String(named.length),
    ...named.flatMap((name) => [tenantPart(name), String(limits[name]?.maxRunningJobs ?? 0)]),
  ];
}

type RawChoice = [FairChoice['verdict'], string[], Array<[string, number, number, string[]]>];

export function createFairQueue(redis: Redis, prefix: string, limits: TenantLimits = {}): FairQueue {
  const keys = fairKeys(prefix);
  const store = storeKeys(prefix);
  const limitArgs = runningLimitArgs(limits);
  const live = (owner: string) => RUNNING_STATES.map((state) => store.byOwnerState(owner, state)).join(' ');
  const rank = (job: FairJob) => RANK[job.spec.priority ?? 'normal'];
  const choose = async (slots: number, inHand: string[]): Promise<FairChoice> => {
    const [verdict, picks, notes] = (await runScript(
      redis,
      FAIR_PICK,
      [],
      [keys.tenantPrefix(), keys.tenants(), store.job(''), Date.now(), slots, ...limitArgs, ...inHand],
    )) as RawChoice;
    return {
      verdict,
      picks,
      notes: notes.map(([owner, running, limit, jobIds]) => ({ owner, running, limit, jobIds })),
    };
  };
  return {
    async enter(job) {
      const added = await runScript(
        redis,
        FAIR_ENTER,
        [
          keys.tenants(),
          keys.tenant(job.owner),
          keys.ready(job.owner),
          keys.admitted(job.owner),
          keys.unnoted(job.owner),
          store.job(job.id),
        ],
        [job.id, tenantPart(job.owner), job.owner, live(job.owner), rank(job)],
      );
      return added === 1;
    },
    decide: (job, slots) =>
      choose(slots, [job.id, tenantPart(job.owner), job.owner, live(job.owner), String(rank(job))]),
    pick: (slots) => choose(slots, []),
    async forget(job) {
      await redis
        .multi()
        .zrem(keys.ready(job.owner), job.id)
        .zrem(keys.admitted(job.owner), job.id)
        .srem(keys.unnoted(job.owner), job.id)
        .exec();
    },
    async admittedQueued(owner) {
      const ids = await redis.zrange(keys.admitted(owner), '0', '-1');
      const states = await Promise.all(ids.map((id) => redis.hget(store.job(id), 'state')));
      return states.filter((state) => state === 'queued').length;
    },
  };
}

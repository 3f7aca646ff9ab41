import {
  isTerminal,
  type JobRecord,
  type JobState,
  type JobStore,
  type RedisKeys,
} from '@clore-batch/shared';
import type { Redis } from 'ioredis';

/** What the charts need of one job: a few numbers per attempt, not the record (events, spec, outputs). */
export interface JobFacts {
  id: string;
  owner: string;
  state: JobState;
  reason?: string;
  createdAt: number;
  /** When the job first left `queued` (ms). */
  startedAt?: number;
  finishedAt?: number;
  attempts: AttemptFacts[];
}

export interface AttemptFacts {
  gpu: string;
  /** The order's create (ms). */
  startedAt: number;
  /** SSH answered (ms). */
  readyAt?: number;
  endedAt?: number;
  spentUsd: number;
  endReason?: string;
}

const ms = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso));

export function jobFacts(job: JobRecord): JobFacts {
  const facts: JobFacts = {
    id: job.id,
    owner: job.owner,
    state: job.state,
    createdAt: Date.parse(job.createdAt),
    attempts: job.attempts.map((a) => {
      const attempt: AttemptFacts = { gpu: a.gpu, startedAt: Date.parse(a.startedAt), spentUsd: a.spentUsd };
      const readyAt = ms(a.readyAt);
      const endedAt = ms(a.endedAt);
      if (readyAt !== undefined) {
        attempt.readyAt = readyAt;
      }
      if (endedAt !== undefined) {
        attempt.endedAt = endedAt;
      }
      if (a.endReason !== undefined) {
        attempt.endReason = a.endReason;
      }
      return attempt;
    }),
  };
  const startedAt = ms(job.startedAt);
  const finishedAt = ms(job.finishedAt);
  if (job.reason !== undefined) {
    facts.reason = job.reason;
  }
  if (startedAt !== undefined) {
    facts.startedAt = startedAt;
  }
  if (finishedAt !== undefined) {
    facts.finishedAt = finishedAt;
  }
  return facts;
}

const LIVE_STATES: readonly JobState[] = ['queued', 'provisioning', 'running', 'collecting'];
const BATCH = 500;
/** The widest range a chart may ask for (30 days). */
export const CHART_MAX_RANGE_MS = 30 * 24 * 3600_000;

export interface ChartJobs {
  /** The jobs that finished in [fromMs, now] and every live job. */
  read(fromMs: number): Promise<JobFacts[]>;
}

/**
 * The jobs a chart range covers, without a scan of every job: the `finished` ZSET (scored by finish
 * time) selects the finished ones in range, the state indexes the live ones, and records are read in
 * pipelined batches. A finished record does not change again, so its facts are kept in memory (only
 * for jobs finished within CHART_MAX_RANGE_MS; the retention sweep's deletes drop out with the ZSET).
 */
export function createChartJobs(deps: {
  redis: Redis;
  /** Reads the records (`getMany`: the store's one reader of job JSON). */
  store: Pick<JobStore, 'getMany'>;
  keys: RedisKeys['store'];
  now: () => number;
}): ChartJobs {
  const finishedCache = new Map<string, JobFacts>();
  async function readRecords(ids: readonly string[]): Promise<JobFacts[]> {
    const facts: JobFacts[] = [];
    for (let i = 0; i < ids.length; i += BATCH) {
      for (const job of await deps.store.getMany(ids.slice(i, i + BATCH))) {
        facts.push(jobFacts(job));
      }
    }
    return facts;
  }
  let inFlight: Promise<JobFacts[]> | undefined;
  async function read(fromMs: number): Promise<JobFacts[]> {
    const pipeline = deps.redis.pipeline();
    pipeline.zrangebyscore(deps.keys.finished(), String(fromMs), '+inf');
    for (const state of LIVE_STATES) {
      pipeline.zrange(deps.keys.byState(state), '0', '-1');
    }
    const rows = (await pipeline.exec()) ?? [];
    const [finishedIds = [], ...liveIds] = rows.map(([, ids]) =>
      Array.isArray(ids) ? (ids as string[]) : [],
    );
    const missing = finishedIds.filter((id) => !finishedCache.has(id));
    for (const facts of await readRecords(missing)) {
      if (isTerminal(facts.state)) {
        finishedCache.set(facts.id, facts);
      }
    }
    const oldest = deps.now() - CHART_MAX_RANGE_MS;
    for (const [id, facts] of finishedCache) {
      if ((facts.finishedAt ?? 0) < oldest) {
        finishedCache.delete(id);
      }
    }
    const finished = finishedIds.flatMap((id) => finishedCache.get(id) ?? []);
    const live = (await readRecords(liveIds.flat())).filter((facts) => !isTerminal(facts.state));
    return [...finished, ...live];
  }
  return {
    // One read at a time: a second waits for the first, then finds its facts in the cache.
    async read(fromMs) {
      const previous = inFlight?.catch(() => undefined);
      const next = (async () => {
        await previous;
        return read(fromMs);
      })();
      inFlight = next;
      return next;
    },
  };
}

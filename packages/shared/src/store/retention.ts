import { rm } from 'node:fs/promises';
import { AppError } from '../errors/app-error';
import { isTerminal, TERMINAL_STATES } from '../state/job-state';
import { jobDir } from './job-files';
import { assertJobId, readJob } from './job-io';
import type { JobRecord } from './job-record';
import { DELETE_JOB, PURGE_SECRETS, runScript } from './scripts';
import { CAS_RETRIES, type StoreDeps } from './store-deps';
import { forgetEmptySweep } from './sweeps';

/**
 * What the store keeps of a finished job, and when it lets go (docs/decisions/0133):
 * - its sealed secrets (secretEnv, registryAuth, the SSH key pair) are deleted as soon as it is
 *   terminal and every order of it has ended (`purgeSecrets`);
 * - the whole job (record, lease, secrets, log tail and meta, index entries, idempotency key,
 *   outbox member, its directory under dataDir: log and outputs; its sweep with its sweep's last
 *   job) is deleted by `expireJob` once it
 *   finished before the retention cutoff and was created before the current spend period, again
 *   only when every order of it has ended.
 * An attempt with no `endedAt` may still hold a billing order: the job is kept (fail closed).
 */

/** Why a job was not purged or deleted; `undefined` when it may be. */
export type KeepReason = 'not-finished' | 'open-order' | 'too-recent' | 'spend-period';

/** The attempts whose order is not known to have ended (an intent, a bound or a ready attempt). */
export function openAttempts(job: Pick<JobRecord, 'attempts'>): number[] {
  return job.attempts.filter((attempt) => attempt.endedAt === undefined).map((attempt) => attempt.n);
}

/** What a job must be past to be deleted. */
export interface ExpiryCut {
  /** It finished (the finished index's Redis time) at or before this (ms). */
  finishedBy: number;
  /**
   * It was created before this (ms): jobs of the current spend period stay, since the tenant's
   * spend caps count their bills (tenants/tenant-usage.ts).
   */
  createdBefore: number;
}

function keepReason(job: JobRecord): KeepReason | undefined {
  if (!isTerminal(job.state)) {
    return 'not-finished';
  }
  return openAttempts(job).length > 0 ? 'open-order' : undefined;
}

function expiryReason(job: JobRecord, finishedAt: number, cut: ExpiryCut): KeepReason | undefined {
  const reason = keepReason(job);
  if (reason !== undefined) {
    return reason;
  }
  if (finishedAt > cut.finishedBy) {
    return 'too-recent';
  }
  return Date.parse(job.createdAt) >= cut.createdBefore ? 'spend-period' : undefined;
}

export type PurgeOutcome = 'purged' | 'gone' | KeepReason;

/** Delete the job's sealed secrets if it is terminal and every order of it has ended. */
export async function purgeSecrets(deps: StoreDeps, id: string): Promise<PurgeOutcome> {
  assertJobId(id);
  const { keys } = deps;
  for (let i = 0; i < CAS_RETRIES; i += 1) {
    const job = await readJob(deps, id);
    if (!job) {
      await deps.redis.zrem(keys.unpurged(), id);
      return 'gone';
    }
    const reason = keepReason(job);
    if (reason !== undefined) {
      return reason;
    }
    const [outcome] = (await runScript(
      deps.redis,
      PURGE_SECRETS,
      [keys.job(id), keys.secrets(id), keys.unpurged()],
      [job.version, id],
    )) as [string];
    if (outcome !== 'conflict') {
      return outcome === 'ok' ? 'purged' : 'gone';
    }
  }
  throw new AppError('JOB_STATE_CONFLICT', `job ${id} kept changing while its secrets were being purged`);
}

export type ExpireOutcome = 'deleted' | 'gone' | KeepReason;

/**
 * Delete everything of a job, in Redis and under dataDir, if `keep` (given the record) says nothing
 * against it. The files go after the Redis keys: a crash between the two leaves files no record
 * names, and `expireJob` (by id) removes them at the next call.
 */
export async function deleteJob(
  deps: StoreDeps,
  id: string,
  keep: (job: JobRecord) => KeepReason | undefined = () => undefined,
): Promise<ExpireOutcome> {
  assertJobId(id);
  const { keys } = deps;
  for (let i = 0; i < CAS_RETRIES; i += 1) {
    const job = await readJob(deps, id);
    if (!job) {
      await deps.redis.zrem(keys.finished(), id);
      await rm(jobDir(deps.dataDir, id), { recursive: true, force: true });
      return 'gone';
    }
    const reason = keep(job);
    if (reason !== undefined) {
      return reason;
    }
    const [outcome] = (await runScript(
      deps.redis,
      DELETE_JOB,
      [
        keys.job(id),
        keys.lease(id),
        keys.secrets(id),
        keys.logTail(id),
        keys.logMeta(id),
        keys.all(),
        keys.byOwner(job.owner),
        keys.byState(job.state),
        keys.byOwnerState(job.owner, job.state),
        keys.outbox(),
        keys.finished(),
        keys.unpurged(),
      ],
      // The outbox member of its terminal write (`<id>.<state>`), if a webhook is still owed.
      [job.version, id, `${id}.${job.state}`],
    )) as [string];
    if (outcome === 'ok') {
      await rm(jobDir(deps.dataDir, id), { recursive: true, force: true });
      if (job.sweepId !== undefined) {
        await forgetEmptySweep(deps, job.sweepId);
      }
      return 'deleted';
    }
  }
  throw new AppError('JOB_STATE_CONFLICT', `job ${id} kept changing while it was being deleted`);
}

/**
 * Delete a finished job past `cut` whose orders all ended. Its finish time is its finished-index
 * score (Redis time), else (an entry lost) its `finishedAt`.
 */
export async function expireJob(deps: StoreDeps, id: string, cut: ExpiryCut): Promise<ExpireOutcome> {
  const score = await deps.redis.zscore(deps.keys.finished(), id);
  return deleteJob(deps, id, (job) =>
    expiryReason(job, score === null ? Date.parse(job.finishedAt ?? job.updatedAt) : Number(score), cut),
  );
}

/** Ids of finished jobs that finished at or before `cutoffMs`, oldest first, from the `offset`th (at most `limit`). */
export function finishedBefore(
  deps: StoreDeps,
  cutoffMs: number,
  limit: number,
  offset = 0,
): Promise<string[]> {
  return deps.redis.zrangebyscore(deps.keys.finished(), '-inf', cutoffMs, 'LIMIT', offset, limit);
}

/** Ids of finished jobs whose secrets are still stored, oldest first (at most `limit`). */
export function unpurgedJobs(deps: StoreDeps, limit: number): Promise<string[]> {
  return deps.redis.zrange(deps.keys.unpurged(), '0', String(limit - 1));
}

/**
 * Enter finished jobs written before the finished index existed (or whose entry was lost) into it,
 * and into the unpurged set while they hold secrets: reads every terminal state's index once, in
 * pages of `page` ids. Returns how many it entered.
 */
export async function indexFinished(deps: StoreDeps, page = 500): Promise<number> {
  const { keys, redis } = deps;
  let entered = 0;
  for (const state of TERMINAL_STATES) {
    let after = '-';
    for (;;) {
      const ids = await redis.zrangebylex(keys.byState(state), after, '+', 'LIMIT', 0, page);
      if (ids.length === 0) {
        break;
      }
      after = `(${ids[ids.length - 1]}`;
      const known = await redis.zmscore(keys.finished(), ...ids);
      for (const [i, id] of ids.entries()) {
        if (known[i] !== null) {
          continue;
        }
        const job = await readJob(deps, id);
        if (!job || !isTerminal(job.state)) {
          continue;
        }
        const at = Date.parse(job.finishedAt ?? job.updatedAt);
        await redis.zadd(keys.finished(), 'NX', at, id);
        if ((await redis.exists(keys.secrets(id))) === 1) {
          await redis.zadd(keys.unpurged(), 'NX', at, id);
        }
        entered += 1;
      }
    }
  }
  return entered;
}

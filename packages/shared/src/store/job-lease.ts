import { randomUUID } from 'node:crypto';
import { AppError } from '../errors/app-error';
import { abortableSleep } from '../process/abortable-sleep';
import { assertJobId } from './job-io';
import { ACQUIRE_LEASE, RELEASE_LEASE, RENEW_LEASE, runScript } from './scripts';
import type { StoreDeps } from './store-deps';

/**
 * Who owns a job (docs/decisions/0120): a worker that drives a job first takes its lease, a random
 * token in `<prefix>:jobstore:job:<id>:lease` with a TTL (PX, Redis' own clock) that it renews while
 * it runs. Every write of the job made through `store.fenced(lease)` carries the token and lands only
 * while the lease holds it (checked in the same Lua script as the write), so a worker that paused past
 * its TTL (GC pause, VM freeze, SIGSTOP) can no longer change the job once it resumes, whoever owns
 * it by then. Only one token can be in the key at a time: a job has at most one owner.
 */
export interface JobLease {
  readonly jobId: string;
  /** `<holder>:<uuid>`: the holder part only helps people read the key. */
  readonly token: string;
  readonly ttlMs: number;
  /**
   * `performance.now()` of this process when the successful acquire was sent: the lease runs out no
   * earlier than `sentAt + ttlMs` by this process's monotonic clock (a local deadline).
   */
  readonly sentAt: number;
}

/** `held`: renewed. `lost`: expired or another worker's now. `missing`: the job record is gone. */
export type LeaseCheck = 'held' | 'lost' | 'missing';

export interface AcquireLeaseOptions {
  /** The lease's TTL; the worker uses its BullMQ lock duration (WORKER_LOCK_DURATION_MS). */
  ttlMs: number;
  /** Put in front of the token (e.g. `host:pid`), for people reading Redis. */
  holder?: string;
  /**
   * While another worker holds the lease, acquiring waits (until it expires or is released) for
   * this long at most, then fails with JOB_OWNERSHIP_LOST. Default: no limit (until `signal`).
   */
  waitMs?: number;
  /** Stops the wait: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called once per wait round with the current holder's token and its time left. */
  onWait?: (holder: string, msLeft: number) => void;
}

/**
 * Take the job's lease: at once if nobody holds it, else after the holder's lease expired or was
 * released (a paused owner's lease runs out after its TTL). JOB_NOT_FOUND when there is no job.
 */
export async function acquireLease(
  deps: StoreDeps,
  id: string,
  options: AcquireLeaseOptions,
): Promise<JobLease> {
  assertJobId(id);
  if (!Number.isSafeInteger(options.ttlMs) || options.ttlMs < 100) {
    throw new AppError('INTERNAL', `a job lease needs a TTL of at least 100 ms (got ${options.ttlMs})`);
  }
  const token = `${options.holder ?? 'worker'}:${randomUUID()}`;
  const deadline = options.waitMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.waitMs;
  for (;;) {
    options.signal?.throwIfAborted();
    const sentAt = performance.now();
    const [outcome, holder, left] = (await runScript(
      deps.redis,
      ACQUIRE_LEASE,
      [deps.keys.lease(id), deps.keys.job(id)],
      [token, options.ttlMs],
    )) as [string, string?, number?];
    if (outcome === 'ok') {
      return { jobId: id, token, ttlMs: options.ttlMs, sentAt };
    }
    if (outcome === 'missing') {
      throw new AppError('JOB_NOT_FOUND', `no job ${id}`);
    }
    const msLeft = Math.max(0, Number(left ?? 0));
    if (Date.now() >= deadline) {
      throw new AppError('JOB_OWNERSHIP_LOST', `job ${id} is held by another worker (${msLeft} ms left)`, {
        details: { jobId: id },
      });
    }
    options.onWait?.(holder ?? '', msLeft);
    // Poll often enough to notice a release, never faster than 50 ms.
    await abortableSleep(
      Math.max(50, Math.min(msLeft + 10, Math.ceil(options.ttlMs / 4), deadline - Date.now())),
      options.signal,
    );
  }
}

/** Extend the lease by its TTL if this token still holds it (never re-takes an expired one). */
export async function renewLease(deps: StoreDeps, lease: JobLease): Promise<LeaseCheck> {
  return (await runScript(
    deps.redis,
    RENEW_LEASE,
    [deps.keys.lease(lease.jobId), deps.keys.job(lease.jobId)],
    [lease.token, lease.ttlMs],
  )) as LeaseCheck;
}

/** Give the lease up (the run ended); a no-op when it is not this token's any more. */
export async function releaseLease(deps: StoreDeps, lease: JobLease): Promise<void> {
  await runScript(deps.redis, RELEASE_LEASE, [deps.keys.lease(lease.jobId)], [lease.token]);
}

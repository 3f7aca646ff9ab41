import type { Redis } from 'ioredis';
import { AppError } from '../errors/app-error';
import type { Logger } from '../logging/logger';
import type { JobState } from '../state/job-state';
import type { JobEvent } from '../state/transitions';
import {
  type AttemptEndFields,
  type AttemptReadyFields,
  attemptBound,
  attemptDecided,
  attemptEnded,
  attemptLogOffset,
  attemptReady,
  attemptSpent,
} from './attempt-writes';
import { type FollowItem, type FollowOptions, followJob } from './follow';
import { jobDir, logFilePath, outputsDir } from './job-files';
import {
  type AcquireLeaseOptions,
  acquireLease,
  type JobLease,
  type LeaseCheck,
  releaseLease,
  renewLease,
} from './job-lease';
import type { Attempt, AttemptEndReason, JobRecord, StrayOrder } from './job-record';
import {
  addAttempt,
  addInfo,
  provisionFailed,
  recordStrayOrder,
  requestCancel,
  transitionJob,
  updateJob,
} from './job-writes';
import { storeKeys } from './keys';
import { LiveHub } from './live-hub';
import { type LiveMessage, parseLiveMessage } from './live-message';
import { LOG_MAX_BYTES_DEFAULT, LOG_MAX_BYTES_MIN } from './log-layout';
import { type LogChunk, readLog, readLogChunk } from './log-reads';
import { appendLog, logCursor, logSize } from './logs';
import type { TransitionOptions } from './next-record';
import { type OutboxEntry, outboxDone, readOutbox, watchOutbox } from './outbox';
import {
  type CreateJobInput,
  type CreateJobResult,
  countByState,
  createJob,
  getJob,
  getJobs,
  type JobPage,
  type ListJobsQuery,
  listJobs,
} from './records';
import {
  deleteJob,
  type ExpireOutcome,
  type ExpiryCut,
  expireJob,
  finishedBefore,
  indexFinished,
  type PurgeOutcome,
  purgeSecrets,
  unpurgedJobs,
} from './retention';
import { getSecret, setSecret } from './secrets';
import type { StoreDeps } from './store-deps';
import type { SweepRecord } from './sweep-record';
import {
  type CreateSweepInput,
  type CreateSweepResult,
  createSweep,
  getSweep,
  listSweeps,
  type SweepPage,
} from './sweeps';

export interface JobStoreOptions {
  /** A connected client; the store does not close it. */
  redis: Redis;
  /** The deployment's REDIS_PREFIX (keys go under `<prefix>:jobstore:`). */
  prefix: string;
  /** DATA_DIR: logs are written to `<dataDir>/jobs/<id>/output.log`. */
  dataDir: string;
  /** LOG_TAIL_BYTES: about this much of each log is kept in Redis. */
  logTailBytes: number;
  /**
   * LOG_MAX_BYTES (default 1 GiB, at least 4096): a log that grows past it keeps its first half and
   * about its last half (docs/decisions/0130). Only writers (the worker) use it.
   */
  logMaxBytes?: number;
  now?: () => Date;
  /** Warnings of the store's subscriber connection. */
  logger?: Logger;
}

/** Every operation throws AppError: JOB_NOT_FOUND for an unknown id, and as noted. */
export interface JobStore {
  /** Atomic; idempotent per (owner, idempotencyKey) for 24 h. Same key, other hash: IDEMPOTENCY_CONFLICT. */
  create(input: CreateJobInput): Promise<CreateJobResult>;
  get(id: string): Promise<JobRecord>;
  /** Newest first, paginated by an opaque cursor. */
  list(query?: ListJobsQuery): Promise<JobPage>;
  countByState(owner?: string): Promise<Record<JobState, number>>;
  /** The records of `ids` that exist, in that order (one round trip). */
  getMany(ids: readonly string[]): Promise<JobRecord[]>;
  // Sweeps (sweeps.ts, docs/decisions/0136).
  /** The sweep and all its jobs, atomically; idempotent per (owner, idempotencyKey) like `create`. */
  createSweep(input: CreateSweepInput): Promise<CreateSweepResult>;
  /** SWEEP_NOT_FOUND for an unknown id. */
  getSweep(id: string): Promise<SweepRecord>;
  /** One owner's sweeps, newest first. */
  listSweeps(owner: string, query?: { limit?: number; cursor?: string }): Promise<SweepPage>;
  /**
   * Everything of the job: the record, lease, secrets, log tail and meta, index entries, idempotency
   * key, outbox member and `<dataDir>/jobs/<id>` ('gone' when there was no such job).
   */
  delete(id: string): Promise<ExpireOutcome>;

  // Retention (retention.ts, docs/decisions/0133).
  /** Delete the job's sealed secrets if it is terminal and every order of it has ended. */
  purgeSecrets(id: string): Promise<PurgeOutcome>;
  /** Finished jobs whose secrets are still stored, oldest first. */
  unpurgedJobs(limit: number): Promise<string[]>;
  /** `delete`, only for a job past `cut` (finished and created early enough) whose orders have all ended. */
  expire(id: string, cut: ExpiryCut): Promise<ExpireOutcome>;
  /** Finished jobs that finished at or before `cutoffMs` (Redis time), oldest first, from the `offset`th. */
  finishedBefore(cutoffMs: number, limit: number, offset?: number): Promise<string[]>;
  /** Enter finished jobs missing from the finished index (jobs from before it, a lost write). */
  indexFinished(): Promise<number>;

  /** State change by the state machine, compare-and-set: JOB_INVALID_TRANSITION, JOB_STATE_CONFLICT. */
  transition(id: string, event: JobEvent, options?: TransitionOptions): Promise<JobRecord>;
  /** Non-state changes (attempts, outputs, webhook deliveries, info events), retried on conflict. */
  update(id: string, mutate: (draft: JobRecord) => void): Promise<JobRecord>;
  addInfo(id: string, message: string): Promise<JobRecord>;
  /** A retryable provisioning failure before any attempt was recorded: `provisionFailures` + 1 and an info event. */
  provisionFailed(id: string, message: string): Promise<JobRecord>;
  /**
   * Appends attempt number `attempts.length + 1`, in phase intent or bound, once the previous
   * attempt has ended; else JOB_INVALID_TRANSITION.
   */
  addAttempt(id: string, attempt: Omit<Attempt, 'n'>): Promise<JobRecord>;
  // Attempt phase writes (state/attempt-phase.ts); an illegal phase change is JOB_INVALID_TRANSITION.
  /** intent → bound. */
  attemptBound(id: string, n: number, orderId: number): Promise<JobRecord>;
  /** bound → ready: address and pinned host key. */
  attemptReady(id: string, n: number, fields: AttemptReadyFields): Promise<JobRecord>;
  /** ready → launched on the first; then only forward (launched, decided). */
  attemptLogOffset(id: string, n: number, offset: number): Promise<JobRecord>;
  /** Spend so far, any phase before ended; never goes down. */
  attemptSpent(id: string, n: number, spentUsd: number): Promise<JobRecord>;
  /** → decided (from any phase before it); a decided attempt keeps its first reason. */
  attemptDecided(id: string, n: number, endReason: AttemptEndReason): Promise<JobRecord>;
  /** decided → ended, with the final cost. */
  attemptEnded(id: string, n: number, fields: AttemptEndFields): Promise<JobRecord>;
  /**
   * Ownership (docs/decisions/0120): take the job's lease, waiting while another worker holds it.
   * A worker then writes only through `fenced(lease)`.
   */
  acquireLease(id: string, options: AcquireLeaseOptions): Promise<JobLease>;
  /** Extend the lease by its TTL: `held`, `lost` (expired or taken) or `missing` (no job record). */
  renewLease(lease: JobLease): Promise<LeaseCheck>;
  releaseLease(lease: JobLease): Promise<void>;
  /**
   * This store, with every write of `lease.jobId` (transition, update, addInfo, addAttempt,
   * the attempt writes, appendLog, requestCancel) fenced by the lease token: a write
   * after the lease expired or passed to another worker fails with JOB_OWNERSHIP_LOST and changes
   * nothing. Reads and other jobs are unchanged. `close()` of the view is a no-op.
   */
  fenced(lease: JobLease): JobStore;
  /** Count an order the reaper cancelled for the job that no attempt holds (docs/decisions/0123). */
  recordStrayOrder(id: string, stray: Omit<StrayOrder, 'at'>): Promise<JobRecord>;
  /** Queued: cancelled now. Live: `cancelRequestedAt` + notification. Terminal: JOB_ALREADY_TERMINAL. */
  requestCancel(id: string): Promise<JobRecord>;

  /** `sealed` must come from the secret box (`sealSecret`/`sealJson`). */
  setSecret(id: string, name: string, sealed: string): Promise<void>;
  getSecret(id: string, name: string): Promise<string | undefined>;

  /**
   * Idempotent positional append; returns the stored size. `cursor`, the writer's resume point after
   * this chunk, is stored in the same step (`logCursor` reads it back).
   */
  appendLog(id: string, offset: number, chunk: Buffer, cursor?: string): Promise<number>;
  /** The cursor of the last append that had one, and the stored size (offsets count dropped bytes). */
  logCursor(id: string): Promise<{ size: number; cursor: string | undefined }>;
  readLog(id: string, fromOffset?: number, maxBytes?: number): Promise<Buffer>;
  readLogChunk(id: string, fromOffset?: number, maxBytes?: number): Promise<LogChunk>;
  logSize(id: string): Promise<number>;
  logFilePath(id: string): string;
  jobDir(id: string): string;
  /** Where the job's collected output files are (`<jobDir>/outputs/<container path>`). */
  outputsDir(id: string): string;

  /** Log chunks and history events in order, without gaps or repeats, until the job ends. */
  follow(id: string, options?: FollowOptions): AsyncGenerator<FollowItem, void, undefined>;
  /** Raw live notifications of one job (e.g. a cancel watcher); resolves once subscribed. */
  subscribe(id: string, listener: (message: LiveMessage) => void): Promise<() => Promise<void>>;

  // The terminal-effects outbox (outbox.ts): an entry per terminal state of a job with a webhookUrl.
  /** The oldest entries, oldest first (at most `limit`, default 100). */
  outboxEntries(limit?: number): Promise<OutboxEntry[]>;
  /** Remove an entry once its effect was handed on (idempotent). */
  outboxDone(entry: Pick<OutboxEntry, 'jobId' | 'state'>): Promise<void>;
  /** Called on each new entry (best effort: a drainer also polls); resolves once subscribed. */
  watchOutbox(listener: () => void): Promise<() => Promise<void>>;
  /** Closes the store's own subscriber connection (not the given client). */
  close(): Promise<void>;
}

/**
 * The job store: job records, their state transitions (compare-and-set), indexes, idempotent
 * creation, sealed secrets, logs and live notifications, in Redis plus the log files under dataDir.
 * The API and the worker each make one and `close()` it on shutdown. README "Job store" has the key
 * layout; docs/decisions/0012-job-store.md the reasons.
 */
export function createJobStore(options: JobStoreOptions): JobStore {
  const live = new LiveHub(options.redis, options.logger);
  const deps: StoreDeps = {
    redis: options.redis,
    keys: storeKeys(options.prefix),
    dataDir: options.dataDir,
    logTailBytes: options.logTailBytes,
    logMaxBytes: checkedLogMax(options.logMaxBytes ?? LOG_MAX_BYTES_DEFAULT),
    now: options.now ?? (() => new Date()),
    live,
    logChains: new Map(),
  };
  return storeOver(deps, () => live.close());
}

function checkedLogMax(bytes: number): number {
  if (!Number.isSafeInteger(bytes) || bytes < LOG_MAX_BYTES_MIN) {
    throw new AppError(
      'INTERNAL',
      `logMaxBytes must be an integer of at least ${LOG_MAX_BYTES_MIN} (got ${bytes})`,
    );
  }
  return bytes;
}

function storeOver(deps: StoreDeps, close: () => Promise<void>): JobStore {
  const { live } = deps;
  return {
    create: (input) => createJob(deps, input),
    get: (id) => getJob(deps, id),
    list: (query) => listJobs(deps, query),
    countByState: (owner) => countByState(deps, owner),
    getMany: (ids) => getJobs(deps, ids),
    createSweep: (input) => createSweep(deps, input),
    getSweep: (id) => getSweep(deps, id),
    listSweeps: (owner, query) => listSweeps(deps, owner, query),
    delete: (id) => deleteJob(deps, id),
    purgeSecrets: (id) => purgeSecrets(deps, id),
    unpurgedJobs: (limit) => unpurgedJobs(deps, limit),
    expire: (id, cut) => expireJob(deps, id, cut),
    finishedBefore: (cutoffMs, limit, offset) => finishedBefore(deps, cutoffMs, limit, offset),
    indexFinished: () => indexFinished(deps),
    transition: (id, event, transitionOptions) => transitionJob(deps, id, event, transitionOptions),
    update: (id, mutate) => updateJob(deps, id, mutate),
    addInfo: (id, message) => addInfo(deps, id, message),
    provisionFailed: (id, message) => provisionFailed(deps, id, message),
    addAttempt: (id, attempt) => addAttempt(deps, id, attempt),
    attemptBound: (id, n, orderId) => attemptBound(deps, id, n, orderId),
    attemptReady: (id, n, fields) => attemptReady(deps, id, n, fields),
    attemptLogOffset: (id, n, offset) => attemptLogOffset(deps, id, n, offset),
    attemptSpent: (id, n, spentUsd) => attemptSpent(deps, id, n, spentUsd),
    attemptDecided: (id, n, endReason) => attemptDecided(deps, id, n, endReason),
    attemptEnded: (id, n, fields) => attemptEnded(deps, id, n, fields),
    acquireLease: (id, leaseOptions) => acquireLease(deps, id, leaseOptions),
    renewLease: (lease) => renewLease(deps, lease),
    releaseLease: (lease) => releaseLease(deps, lease),
    fenced: (lease) =>
      storeOver({ ...deps, fence: { jobId: lease.jobId, token: lease.token } }, async () => {}),
    requestCancel: (id) => requestCancel(deps, id),
    recordStrayOrder: (id, stray) => recordStrayOrder(deps, id, stray),
    setSecret: (id, name, sealed) => setSecret(deps, id, name, sealed),
    getSecret: (id, name) => getSecret(deps, id, name),
    appendLog: (id, offset, chunk, cursor) => appendLog(deps, id, offset, chunk, cursor),
    logCursor: (id) => logCursor(deps, id),
    readLog: (id, fromOffset, maxBytes) => readLog(deps, id, fromOffset, maxBytes),
    readLogChunk: (id, fromOffset, maxBytes) => readLogChunk(deps, id, fromOffset, maxBytes),
    logSize: (id) => logSize(deps, id),
    logFilePath: (id) => logFilePath(deps.dataDir, id),
    jobDir: (id) => jobDir(deps.dataDir, id),
    outputsDir: (id) => outputsDir(deps.dataDir, id),
    follow: (id, followOptions) => followJob(deps, id, followOptions),
    subscribe: (id, listener) =>
      live.subscribe(deps.keys.channel(id), (text) => {
        const message = parseLiveMessage(text);
        if (message) {
          listener(message);
        }
      }),
    outboxEntries: (limit = 100) => readOutbox(deps, limit),
    outboxDone: (entry) => outboxDone(deps, entry),
    watchOutbox: (listener) => watchOutbox(deps, listener),
    close,
  };
}

import { createHash } from 'node:crypto';
import { type KeyEntry, keyTable } from '../keys/key-entry';
import type { JobState } from '../state/job-state';

/**
 * Every Redis key and channel the job store uses, under the deployment prefix. Index sets are sorted
 * sets with score 0 whose members are job ids: ids sort by time, so `ZREVRANGEBYLEX` lists newest
 * first and a cursor (the last id seen) stays valid while new jobs arrive.
 */
export interface StoreKeys {
  /** HASH: `json` (the record), `state`, `version`, `owner`. */
  job(id: string): string;
  /**
   * STRING: the owning worker's lease token, with a TTL (PX) its holder renews while it runs the job
   * (job-lease.ts). Worker writes of the job are fenced by it.
   */
  lease(id: string): string;
  /** HASH: secret name → sealed value. Never returned by `get`. */
  secrets(id: string): string;
  /** STRING: the last ≈logTailBytes bytes of the command's output. */
  logTail(id: string): string;
  /**
   * HASH: `size` (bytes stored, contiguous from 0, dropped ones counted), `tailStart` (offset of the
   * tail's first byte), `max` (the log's LOG_MAX_BYTES layout), `cursor` (the writer's resume point).
   */
  logMeta(id: string): string;
  /** Pub/sub channel of one job's live notifications. */
  channel(id: string): string;
  all(): string;
  byOwner(owner: string): string;
  byState(state: JobState): string;
  byOwnerState(owner: string, state: JobState): string;
  /** STRING `<jobId>\n<requestHash>`, expiring after 24 h. */
  idempotency(owner: string, key: string): string;
  /**
   * ZSET: the terminal-effects outbox (outbox.ts). Member `<jobId>.<state>`, score the terminal
   * write's time (ms). The write script that puts a job with a webhookUrl into a terminal state adds
   * the member in the same step; the API's drainer (apps/api/src/webhooks/webhook-outbox.ts) hands it
   * to the webhook queue and only then removes it (docs/decisions/0063).
   */
  outbox(): string;
  /** Pub/sub channel: the member, each time the outbox gets one (drainers wake on it; they also poll). */
  outboxChannel(): string;
  /**
   * ZSET: finished job ids, score when they finished (Redis TIME, ms), added by the write that makes
   * a job terminal; the retention sweep deletes the jobs older than JOB_RETENTION_SECONDS (retention.ts).
   */
  finished(): string;
  /**
   * ZSET: finished job ids whose sealed secrets (secretEnv, registryAuth, the SSH key pair) are still
   * stored, score when they finished (Redis TIME, ms); they are deleted once every order of the job has ended.
   */
  unpurged(): string;
  /** HASH: a sweep (sweeps.ts): `json` (the sweep record), `owner`. */
  sweep(id: string): string;
  /** ZSET: one owner's sweep ids (score 0, lex order: newest last). */
  sweepsByOwner(owner: string): string;
  /** STRING `<sweepId>\n<requestHash>` of a sweep's Idempotency-Key, expiring after 24 h. */
  sweepIdempotency(owner: string, key: string): string;
}

/** Owner names and idempotency keys are user text: hash them into fixed, separator-free key parts. */
function part(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

export function storeKeys(prefix: string): StoreKeys {
  const p = `${prefix}:jobstore`;
  return {
    job: (id) => `${p}:job:${id}`,
    lease: (id) => `${p}:job:${id}:lease`,
    secrets: (id) => `${p}:job:${id}:secrets`,
    logTail: (id) => `${p}:job:${id}:log-tail`,
    logMeta: (id) => `${p}:job:${id}:log-meta`,
    channel: (id) => `${p}:live:${id}`,
    all: () => `${p}:index:all`,
    byOwner: (owner) => `${p}:index:owner:${part(owner)}`,
    byState: (state) => `${p}:index:state:${state}`,
    byOwnerState: (owner, state) => `${p}:index:owner:${part(owner)}:state:${state}`,
    idempotency: (owner, key) => `${p}:idem:${part(`${owner}\n${key}`)}`,
    outbox: () => `${p}:outbox`,
    outboxChannel: () => `${p}:outbox:added`,
    finished: () => `${p}:finished`,
    unpurged: () => `${p}:unpurged`,
    sweep: (id) => `${p}:sweep:${id}`,
    sweepsByOwner: (owner) => `${p}:index:sweeps:owner:${part(owner)}`,
    sweepIdempotency: (owner, key) => `${p}:sweep-idem:${part(`${owner}\n${key}`)}`,
  };
}

/** The registry lines of the job store's keys (builders above; see keys/key-entry.ts). */
export const STORE_KEY_ENTRIES: readonly KeyEntry[] = keyTable(`
  jobstore:job:<id>                        | hash    | a job: json (the record), state, version, owner, idem (its idempotency key)
  jobstore:job:<id>:lease                  | string  | the owning worker's lease token (TTL)
  jobstore:job:<id>:secrets                | hash    | secret name → sealed value
  jobstore:job:<id>:log-tail               | string  | the last bytes of the command's output
  jobstore:job:<id>:log-meta               | hash    | size, tailStart of the stored log
  jobstore:live:<id>                       | channel | one job's live notifications
  jobstore:index:all                       | zset    | every job id (score 0, lex order)
  jobstore:index:owner:<hex>               | zset    | one owner's job ids
  jobstore:index:state:<state>             | zset    | the job ids in one state
  jobstore:index:owner:<hex>:state:<state> | zset    | one owner's job ids in one state
  jobstore:idem:<hex>                      | string  | <jobId>\\n<requestHash> of an idempotency key (24 h)
  jobstore:outbox                          | zset    | <jobId>.<state> of terminal writes whose webhook the drainer has not queued yet
  jobstore:outbox:added                    | channel | a new outbox member (drainers wake on it)
  jobstore:finished                        | zset    | finished job ids, score when they finished (Redis TIME, ms): the retention sweep's order
  jobstore:unpurged                        | zset    | finished job ids whose sealed secrets are not deleted yet (score as finished)
  jobstore:sweep:<id>                      | hash    | a sweep: json (id, owner, name, createdAt, job ids in index order), owner
  jobstore:index:sweeps:owner:<hex>        | zset    | one owner's sweep ids
  jobstore:sweep-idem:<hex>                | string  | <sweepId>\\n<requestHash> of a sweep's idempotency key (24 h)
`);

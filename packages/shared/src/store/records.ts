import { AppError } from '../errors/app-error';
import { type StoredJobSpec, StoredJobSpecSchema } from '../spec/job-spec';
import { parseOrThrow } from '../spec/validation-issues';
import { JOB_STATES, type JobState } from '../state/job-state';
import { isJobId, newJobId } from './job-id';
import { mustReadJob } from './job-io';
import type { JobRecord } from './job-record';
import type { StoreKeys } from './keys';
import { CREATE_JOB, runScript } from './scripts';
import type { StoreDeps } from './store-deps';

export const IDEMPOTENCY_TTL_SECONDS = 24 * 3_600;
export const LIST_LIMIT_MAX = 500;

export interface CreateJobInput {
  /** The parsed spec in its stored form (`toStoredSpec`): secretEnv values removed. */
  spec: StoredJobSpec;
  /** The secretEnv object sealed by the caller (`sealJson`); kept apart, never returned by `get`. */
  secretEnvSealed?: string;
  /** The spec's registryAuth sealed by the caller (`sealSecret`); kept apart like secretEnv. */
  registryAuthSealed?: string;
  /** The API token name that submits. */
  owner: string;
  idempotencyKey?: string;
  /** `requestHash(body, key)`: same key + same hash = the same request. */
  requestHash?: string;
}

export interface CreateJobResult {
  job: JobRecord;
  /** False when an earlier request with the same idempotency key and body created the job. */
  created: boolean;
}

/** Sealed secrets start with the secret box's version tag; anything else is refused, never stored. */
export function assertSealed(value: string, what: string): void {
  if (!/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(value)) {
    throw new AppError('INTERNAL', `${what} must be sealed with the secret box before it is stored`);
  }
}

/** A new job's first record (queued), with its sweep and point when a sweep makes it. */
export function newJobRecord(
  spec: StoredJobSpec,
  owner: string,
  now: Date,
  sweep?: { id: string; index: number },
): JobRecord {
  const at = now.toISOString();
  return {
    id: newJobId(now.getTime()),
    ...(spec.name === undefined ? {} : { name: spec.name }),
    owner,
    spec,
    state: 'queued',
    message: 'queued: waiting for a worker',
    attempts: [],
    costUsd: 0,
    events: [{ at, type: 'state', to: 'queued', message: 'job submitted and queued' }],
    outputs: [],
    webhookDeliveries: [],
    createdAt: at,
    updatedAt: at,
    version: 1,
    ...(sweep === undefined ? {} : { sweepId: sweep.id, sweepIndex: sweep.index }),
  };
}

/** The stored spec parsed and the sealed secrets checked, before anything is written. */
export function checkedCreateInput(input: CreateJobInput): StoredJobSpec {
  const spec = parseOrThrow(StoredJobSpecSchema, input.spec, 'stored job spec');
  if (input.secretEnvSealed !== undefined) {
    assertSealed(input.secretEnvSealed, 'secretEnv');
  }
  if (input.registryAuthSealed !== undefined) {
    assertSealed(input.registryAuthSealed, 'registryAuth');
  }
  return spec;
}

/** CREATE_JOB's keys and arguments for `job` (the job's own idempotency key only when `input` has one). */
export function createJobCall(
  keys: StoreKeys,
  job: JobRecord,
  input: Omit<CreateJobInput, 'spec'>,
): { keys: string[]; args: (string | number)[] } {
  return {
    keys: [
      keys.job(job.id),
      keys.all(),
      keys.byOwner(input.owner),
      keys.byState('queued'),
      keys.byOwnerState(input.owner, 'queued'),
      keys.secrets(job.id),
      keys.idempotency(input.owner, input.idempotencyKey ?? ''),
    ],
    args: [
      job.id,
      JSON.stringify(job),
      job.state,
      job.version,
      input.owner,
      input.idempotencyKey !== undefined ? '1' : '0',
      input.requestHash ?? '',
      IDEMPOTENCY_TTL_SECONDS,
      input.secretEnvSealed ?? '',
      input.registryAuthSealed ?? '',
    ],
  };
}

export async function createJob(deps: StoreDeps, input: CreateJobInput): Promise<CreateJobResult> {
  const spec = checkedCreateInput(input);
  const job = newJobRecord(spec, input.owner, deps.now());
  const call = createJobCall(deps.keys, job, input);
  const [outcome, existingId] = (await runScript(deps.redis, CREATE_JOB, call.keys, call.args)) as [
    string,
    string,
  ];
  if (outcome === 'created') {
    return { job, created: true };
  }
  if (outcome === 'conflict') {
    throw new AppError(
      'IDEMPOTENCY_CONFLICT',
      'this Idempotency-Key was already used with a different request body',
      { details: { jobId: existingId } },
    );
  }
  return { job: await mustReadJob(deps, existingId), created: false };
}

export async function getJob(deps: StoreDeps, id: string): Promise<JobRecord> {
  return mustReadJob(deps, id);
}

export interface ListJobsQuery {
  owner?: string;
  state?: JobState;
  /** 1..500, default 50. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface JobPage {
  jobs: JobRecord[];
  /** Present when more jobs may follow. */
  nextCursor?: string;
}

/** The id a list cursor stands for (jobs' and sweeps' listings); a cursor of another id is a 400. */
export function decodeCursor(cursor: string, isId: (value: unknown) => boolean = isJobId): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!isId(id)) {
    throw new AppError('VALIDATION_FAILED', 'invalid cursor: not one this API returned', {
      details: { issues: [{ path: 'cursor', message: 'is not a cursor this API returned' }] },
    });
  }
  return id;
}

/**
 * Newest first. The cursor is the last id of the page (opaque to clients): the next page starts
 * strictly below it, so jobs created meanwhile never shift or repeat later pages. With a `state`
 * filter, a job that changes state between two pages may show in both or neither.
 */
export async function listJobs(deps: StoreDeps, query: ListJobsQuery = {}): Promise<JobPage> {
  const limit = Math.min(Math.max(Math.floor(query.limit ?? 50), 1), LIST_LIMIT_MAX);
  const { keys } = deps;
  const index =
    query.owner !== undefined && query.state !== undefined
      ? keys.byOwnerState(query.owner, query.state)
      : query.owner !== undefined
        ? keys.byOwner(query.owner)
        : query.state !== undefined
          ? keys.byState(query.state)
          : keys.all();
  const jobs: JobRecord[] = [];
  let from = query.cursor === undefined ? '+' : `(${decodeCursor(query.cursor)}`;
  let more = false;
  // Deleted jobs can leave a page short for one round; fetch again from where the page stopped.
  while (jobs.length < limit) {
    const ids = await deps.redis.zrevrangebylex(index, from, '-', 'LIMIT', 0, limit - jobs.length + 1);
    const page = ids.slice(0, limit - jobs.length);
    more = ids.length > page.length;
    if (page.length === 0) {
      break;
    }
    jobs.push(...(await getJobs(deps, page)));
    from = `(${page[page.length - 1]}`;
    if (!more) {
      break;
    }
  }
  const last = jobs[jobs.length - 1];
  return more && last ? { jobs, nextCursor: Buffer.from(last.id).toString('base64url') } : { jobs };
}

/** The records of `ids` that exist, in that order (one round trip). */
export async function getJobs(deps: StoreDeps, ids: readonly string[]): Promise<JobRecord[]> {
  if (ids.length === 0) {
    return [];
  }
  const pipeline = deps.redis.pipeline();
  for (const id of ids) {
    pipeline.hget(deps.keys.job(id), 'json');
  }
  const rows = (await pipeline.exec()) ?? [];
  return rows
    .map(([, json]) => (typeof json === 'string' ? (JSON.parse(json) as JobRecord) : undefined))
    .filter((job): job is JobRecord => job !== undefined);
}

/** How many jobs are in each state (of one owner, or of everyone); kept with every transition. */
export async function countByState(deps: StoreDeps, owner?: string): Promise<Record<JobState, number>> {
  const pipeline = deps.redis.pipeline();
  for (const state of JOB_STATES) {
    pipeline.zcard(owner === undefined ? deps.keys.byState(state) : deps.keys.byOwnerState(owner, state));
  }
  const rows = (await pipeline.exec()) ?? [];
  const counts = {} as Record<JobState, number>;
  JOB_STATES.forEach((state, i) => {
    counts[state] = Number(rows[i]?.[1] ?? 0);
  });
  return counts;
}

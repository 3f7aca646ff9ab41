import { AppError } from '../errors/app-error';
import type { StoredJobSpec } from '../spec/job-spec';
import { isSweepId, newSweepId } from './job-id';
import type { JobRecord } from './job-record';
import {
  type CreateJobInput,
  checkedCreateInput,
  createJobCall,
  decodeCursor,
  IDEMPOTENCY_TTL_SECONDS,
  LIST_LIMIT_MAX,
  newJobRecord,
} from './records';
import { CREATE_SWEEP, runScript } from './scripts';
import type { StoreDeps } from './store-deps';
import { type SweepRecord, SweepRecordSchema } from './sweep-record';

export interface CreateSweepInput extends Omit<CreateJobInput, 'spec'> {
  /** One stored spec per point, in index order (the point's env already merged in). */
  specs: readonly StoredJobSpec[];
  name?: string;
}

export interface CreateSweepResult {
  sweep: SweepRecord;
  /** The new jobs in index order; empty for a repeat (read them by `sweep.jobIds`). */
  jobs: JobRecord[];
  /** False when an earlier request with the same idempotency key and body made the sweep. */
  created: boolean;
}

/**
 * The sweep and all its jobs in one script (CREATE_SWEEP): all or nothing. Idempotent per (owner,
 * idempotencyKey) for 24 h like a job; the same key with another body is IDEMPOTENCY_CONFLICT.
 */
export async function createSweep(deps: StoreDeps, input: CreateSweepInput): Promise<CreateSweepResult> {
  const { specs, name, idempotencyKey, requestHash, ...common } = input;
  const checked = specs.map((spec) => checkedCreateInput({ ...common, spec }));
  const now = deps.now();
  const id = newSweepId(now.getTime());
  const jobs = checked.map((spec, index) => newJobRecord(spec, common.owner, now, { id, index }));
  const sweep: SweepRecord = {
    id,
    owner: common.owner,
    ...(name === undefined ? {} : { name }),
    createdAt: now.toISOString(),
    jobIds: jobs.map((job) => job.id),
  };
  const { keys } = deps;
  const idempotent = idempotencyKey !== undefined;
  const keyList = [
    keys.sweep(id),
    keys.sweepsByOwner(common.owner),
    keys.sweepIdempotency(common.owner, idempotencyKey ?? ''),
  ];
  const args: (string | number)[] = [
    id,
    JSON.stringify(sweep),
    common.owner,
    idempotent ? '1' : '0',
    requestHash ?? '',
    IDEMPOTENCY_TTL_SECONDS,
  ];
  for (const job of jobs) {
    const call = createJobCall(keys, job, common);
    keyList.push(...call.keys);
    args.push(...call.args);
  }
  const [outcome, existingId] = (await runScript(deps.redis, CREATE_SWEEP, keyList, args)) as [
    string,
    string,
  ];
  if (outcome === 'created') {
    return { sweep, jobs, created: true };
  }
  if (outcome === 'conflict') {
    throw new AppError(
      'IDEMPOTENCY_CONFLICT',
      'this Idempotency-Key was already used with a different request body',
      { details: { sweepId: existingId } },
    );
  }
  return { sweep: await getSweep(deps, existingId), jobs: [], created: false };
}

export async function getSweep(deps: StoreDeps, id: string): Promise<SweepRecord> {
  const json = isSweepId(id) ? await deps.redis.hget(deps.keys.sweep(id), 'json') : null;
  if (json === null) {
    throw new AppError('SWEEP_NOT_FOUND', `sweep ${id} not found`);
  }
  return SweepRecordSchema.parse(JSON.parse(json));
}

/**
 * Delete the sweep once none of its jobs is left (retention deleted the last one). Jobs never join a
 * sweep later, so the check after a job's own deletion cannot race another: of two deleting its last
 * two jobs at once, at least the later one sees none left.
 */
export async function forgetEmptySweep(deps: StoreDeps, id: string): Promise<boolean> {
  let sweep: SweepRecord;
  try {
    sweep = await getSweep(deps, id);
  } catch (error) {
    if (error instanceof AppError && error.code === 'SWEEP_NOT_FOUND') {
      return false;
    }
    throw error;
  }
  const left = sweep.jobIds.length === 0 ? 0 : await deps.redis.exists(...sweep.jobIds.map(deps.keys.job));
  if (left > 0) {
    return false;
  }
  await deps.redis.multi().del(deps.keys.sweep(id)).zrem(deps.keys.sweepsByOwner(sweep.owner), id).exec();
  return true;
}

export interface SweepPage {
  sweeps: SweepRecord[];
  nextCursor?: string;
}

/** One owner's sweeps, newest first; the cursor is the last id of the page (base64url). */
export async function listSweeps(
  deps: StoreDeps,
  owner: string,
  query: { limit?: number; cursor?: string } = {},
): Promise<SweepPage> {
  const limit = Math.min(Math.max(Math.floor(query.limit ?? 50), 1), LIST_LIMIT_MAX);
  const from = query.cursor === undefined ? '+' : `(${decodeCursor(query.cursor, isSweepId)}`;
  const ids = await deps.redis.zrevrangebylex(
    deps.keys.sweepsByOwner(owner),
    from,
    '-',
    'LIMIT',
    0,
    limit + 1,
  );
  const page = ids.slice(0, limit);
  const pipeline = deps.redis.pipeline();
  for (const id of page) {
    pipeline.hget(deps.keys.sweep(id), 'json');
  }
  const rows = (await pipeline.exec()) ?? [];
  const sweeps = rows
    .map(([, json]) => (typeof json === 'string' ? SweepRecordSchema.parse(JSON.parse(json)) : undefined))
    .filter((sweep): sweep is SweepRecord => sweep !== undefined);
  const last = page[page.length - 1];
  return ids.length > limit && last !== undefined
    ? { sweeps, nextCursor: Buffer.from(last).toString('base64url') }
    : { sweeps };
}

import { AppError } from '../errors/app-error';
import { assertJobId } from './job-io';
import type { StoreDeps } from './store-deps';

/** A job's log meta hash (logs.ts): what is stored, the Redis tail, the layout and the writer's cursor. */
export interface LogMeta {
  size: number;
  tailStart: number;
  /** The layout's LOG_MAX_BYTES; undefined before the first append, 0 for no cap. */
  max: number | undefined;
  cursor: string | undefined;
}

export async function logMeta(deps: StoreDeps, id: string): Promise<LogMeta> {
  const [size, tailStart, max, cursor] = await deps.redis.hmget(
    deps.keys.logMeta(id),
    'size',
    'tailStart',
    'max',
    'cursor',
  );
  return {
    size: Number(size ?? 0),
    tailStart: Number(tailStart ?? 0),
    max: max === null ? undefined : Number(max),
    cursor: cursor ?? undefined,
  };
}

export async function assertJobExists(deps: StoreDeps, id: string): Promise<void> {
  assertJobId(id);
  if ((await deps.redis.exists(deps.keys.job(id))) === 0) {
    throw new AppError('JOB_NOT_FOUND', `no job ${id}`);
  }
}

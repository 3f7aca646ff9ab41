import {
  AppError,
  type Attempt,
  FRESH_MASK_STATE,
  type MaskState,
  maskableValues,
  redisKeys,
  SecretMasker,
} from '@clore-batch/shared';
import type { JobRun } from './job-run';
import { maskedSecretValues } from './job-secrets';

/**
 * An attempt's remote log, masked and stored in the job's log (docs/decisions/0130).
 *
 * Masking changes lengths, so a remote offset no longer says where its bytes are stored. The writer
 * keeps a cursor instead, `<attempt>:<remote>:<open>:<ahead>`: how many remote bytes are settled
 * (given out masked; the masker holds back at most the longest secret − 1 more) and the masker's
 * state there. The store saves it in the same step as the bytes it stands for, so the stored size
 * is always where the cursor's remote offset lands. A worker that takes the job over reads the
 * cursor, reads the remote log again from its offset with a masker in its state, and appends at the
 * stored size: no byte twice, none lost, whatever the restarts and reconnects.
 */
export interface AttemptLog {
  /** Read the remote log from here on. */
  readonly from: number;
  /** Mask and store the remote bytes from `position` (each call goes on where the last one ended). */
  write(position: number, data: Buffer): Promise<void>;
  /** The command ended and its log was read to `endOffset`: store the bytes still held back. */
  end(endOffset: number): Promise<void>;
}

interface LogCursor {
  attempt: number;
  remote: number;
  state: MaskState;
}

function formatCursor(cursor: LogCursor): string {
  return `${cursor.attempt}:${cursor.remote}:${cursor.state.open ? 1 : 0}:${cursor.state.ahead}`;
}

function parseCursor(text: string | undefined): LogCursor | undefined {
  const match = /^(\d+):(\d+):([01]):(\d+)$/.exec(text ?? '');
  if (match === null) {
    return undefined;
  }
  const [attempt, remote, open, ahead] = match.slice(1).map(Number) as [number, number, number, number];
  return { attempt, remote, state: { open: open === 1, ahead } };
}

/**
 * No cursor of this attempt: nothing of it is stored, so it starts at remote 0 — unless a worker
 * before 0130 began it, which stored remote byte p unmasked at `logbase + p`.
 */
async function remoteStoredBefore0130(run: JobRun, n: number, size: number): Promise<number> {
  const base = await run.deps.redis.get(redisKeys(run.deps.prefix).logBase(run.id, n));
  return base === null ? 0 : Math.max(0, size - Number(base));
}

export async function openAttemptLog(run: JobRun, attempt: Attempt): Promise<AttemptLog> {
  const { store } = run.deps;
  const values = maskableValues(await maskedSecretValues(run.deps, run.id, run.job.spec.hasRegistryAuth));
  const { size, cursor } = await store.logCursor(run.id);
  const saved = parseCursor(cursor);
  const start =
    saved?.attempt === attempt.n
      ? saved
      : {
          attempt: attempt.n,
          remote: await remoteStoredBefore0130(run, attempt.n, size),
          state: FRESH_MASK_STATE,
        };
  const masker = new SecretMasker(values, start.state);
  let consumed = start.remote;
  let stored = size;
  const save = async (masked: Buffer) => {
    const settled = { attempt: attempt.n, remote: consumed - masker.held, state: masker.state };
    await store.appendLog(run.id, stored, masked, formatCursor(settled));
    stored += masked.length;
  };
  return {
    from: start.remote,
    async write(position, data) {
      if (position !== consumed) {
        throw new AppError('INTERNAL', `log chunk at remote offset ${position}, expected ${consumed}`);
      }
      const masked = masker.push(data);
      consumed += data.length;
      await save(masked);
    },
    async end(endOffset) {
      if (endOffset !== consumed) {
        throw new AppError(
          'INTERNAL',
          `the remote log ended at ${endOffset}, but ${consumed} bytes were read`,
        );
      }
      await save(masker.end());
    },
  };
}

import { readdir, rmdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { forComponent, type Logger, uploadsDir } from '@clore-batch/shared';
import { startPeriodicPass } from '../periodic-pass';

/**
 * The upload sweep (docs/decisions/0137): every `intervalMs`, in each API process, deletes the
 * workdir uploads (and temp files a crash left) under `<dataDir>/uploads` whose mtime is older than
 * `retentionMs`. An upload's mtime is its last use: the upload itself, a HEAD, a submit naming it, a
 * worker unpacking it. A tenant directory left empty is removed.
 */
export interface UploadSweep {
  /** One pass: the paths (relative to the uploads directory) it deleted. */
  runOnce(): Promise<string[]>;
  stop(): Promise<void>;
}

export interface UploadSweepDeps {
  dataDir: string;
  logger: Logger;
  retentionMs: number;
  intervalMs: number;
  now?: () => number;
}

export function startUploadSweep(deps: UploadSweepDeps): UploadSweep {
  const log = forComponent(deps.logger, 'upload-sweep');
  const now = deps.now ?? Date.now;
  const root = uploadsDir(deps.dataDir);

  async function pass(): Promise<string[]> {
    const cutoff = now() - deps.retentionMs;
    const deleted: string[] = [];
    for (const tenant of await entries(root)) {
      const dir = join(root, tenant);
      for (const name of await entries(dir)) {
        const file = join(dir, name);
        const info = await stat(file).catch(() => undefined);
        if (info?.isFile() && info.mtimeMs < cutoff) {
          await unlink(file).catch(() => undefined);
          deleted.push(`${tenant}/${name}`);
        }
      }
      await rmdir(dir).catch(() => undefined); // only when empty
    }
    if (deleted.length > 0) {
      log.info({ count: deleted.length }, 'deleted workdir uploads unused past retention');
    }
    return deleted;
  }

  return startPeriodicPass(pass, { intervalMs: deps.intervalMs, log, what: 'upload sweep' });
}

async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if (
      (error as NodeJS.ErrnoException).code === 'ENOENT' ||
      (error as NodeJS.ErrnoException).code === 'ENOTDIR'
    ) {
      return [];
    }
    throw error;
  }
}

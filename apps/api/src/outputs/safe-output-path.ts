import { lstat, realpath, stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { AppError } from '@clore-batch/shared';

function refused(why: string): AppError {
  return new AppError('OUTPUT_PATH_INVALID', `output path refused: ${why}`, {
    details: { issues: [{ path: 'path', message: why }] },
  });
}

/**
 * The real path of a requested output file, checked to stay inside the job's outputs directory
 * (`store.outputsDir(id)`: the worker collects `<container path>` to `<that>/<container path>`).
 * `requested` is the already URL-decoded path after `/outputs/`. Refused: NUL bytes, `..` or `.`
 * segments, backslashes, and anything whose real path (symlinks resolved) leaves the directory.
 * A path that does not exist or is not a regular file is JOB_NOT_FOUND-like 404 (NOT_FOUND).
 */
export async function resolveOutputFile(
  base: string,
  requested: string,
): Promise<{ path: string; size: number }> {
  if (requested.includes('\0')) {
    throw refused('contains a NUL byte');
  }
  if (requested.includes('\\')) {
    throw refused('contains a backslash');
  }
  const segments = requested.split('/').filter((s) => s !== '');
  if (segments.length === 0) {
    throw refused('is empty');
  }
  if (segments.some((s) => s === '..' || s === '.')) {
    throw refused("contains a '.' or '..' segment");
  }
  const candidate = resolve(base, ...segments);
  if (!candidate.startsWith(base + sep)) {
    throw refused('leaves the output directory');
  }
  const notFound = () => new AppError('NOT_FOUND', `no output file /${segments.join('/')}`);
  let real: string;
  let realBase: string;
  try {
    await lstat(candidate);
    [real, realBase] = await Promise.all([realpath(candidate), realpath(base)]);
  } catch {
    throw notFound();
  }
  if (!real.startsWith(realBase + sep)) {
    throw refused('resolves outside the output directory (symbolic link)');
  }
  const info = await stat(real);
  if (!info.isFile()) {
    throw notFound();
  }
  return { path: real, size: info.size };
}

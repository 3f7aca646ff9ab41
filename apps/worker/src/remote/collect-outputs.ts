import { mkdir, open, rm } from 'node:fs/promises';
import { posix, resolve, sep } from 'node:path';
import { AppError, hasErrorCode } from '@clore-batch/shared';
import type { SFTPWrapper } from 'ssh2';
import { isNoSuchFile, sftpClose, sftpOpen, sftpReadBlocks, sftpReaddir, sftpStat } from './sftp-io';
import { messageOf, sshError } from './ssh-error';
import type { SshSession } from './ssh-session';

/** Files downloaded at once (each with 8 reads in flight). */
const FILES_IN_PARALLEL = 4;

export interface CollectOutputsOptions {
  /** Absolute paths on the server: files or directories (collected recursively). */
  paths: readonly string[];
  /** Local directory; `/a/b/c.txt` lands at `destDir/a/b/c.txt`. */
  destDir: string;
  /** Cap on the sum of file sizes (OUTPUTS_MAX_BYTES). */
  maxBytes: number;
  /** Cap on the number of files. Default 100 000. */
  maxFiles?: number;
}

export interface CollectedFile {
  /** The remote absolute path. */
  path: string;
  size: number;
  localPath: string;
}

/** The outputs were over the cap: what was left on the server (whole files, never a part of one). */
export interface OverCap {
  /** Bytes of every listed file (a file that grew while it was read counts what was read of it). */
  totalBytes: number;
  maxBytes: number;
  /** `totalBytes - maxBytes`. */
  overBytes: number;
  /** Files not downloaded, in listing order. */
  left: string[];
}

export interface CollectOutputsResult {
  /** The files downloaded (all of them, unless `overCap` is set). */
  files: CollectedFile[];
  /** Requested paths that do not exist on the server. */
  missing: string[];
  /** Entries inside directories that were not fetched: symlinks (never followed) and special files. */
  skipped: { path: string; reason: 'symlink' | 'not_a_regular_file' }[];
  /** Bytes downloaded. */
  totalBytes: number;
  /** Set when the outputs were over `maxBytes`: the files that fit were downloaded, these were not. */
  overCap?: OverCap;
}

/**
 * Fetch the outputs over SFTP. The whole tree is listed first; the files that fit under the cap
 * (in listing order, each whole or not at all) are then read with several requests in flight, and
 * the rest reported in `overCap` (docs/decisions/0135). A requested path that is itself a symlink
 * is followed (the user named it); inside directories symlinks are skipped, so nothing outside the
 * named trees is fetched and no loop is walked. Local paths are built from the remote path's
 * segments only and checked to stay under destDir. On any other failure every file and directory
 * this call created is removed.
 */
export async function collectOutputs(
  session: SshSession,
  options: CollectOutputsOptions,
): Promise<CollectOutputsResult> {
  const maxFiles = options.maxFiles ?? 100_000;
  const root = resolve(options.destDir);
  const sftp = await session.sftp();
  const result: CollectOutputsResult = { files: [], missing: [], skipped: [], totalBytes: 0 };
  const listed: CollectedFile[] = [];
  const seen = new Set<string>();

  const addFile = (path: string, size: number) => {
    if (seen.has(path)) {
      return;
    }
    seen.add(path);
    const localPath = resolve(root, ...path.split('/').filter(Boolean));
    if (!localPath.startsWith(root + sep)) {
      throw new AppError('OUTPUT_PATH_INVALID', `output ${path} would land outside the output directory`);
    }
    listed.push({ path, size, localPath });
    if (listed.length > maxFiles) {
      throw new AppError('OUTPUT_TOO_LARGE', `outputs hold more than ${maxFiles} files`);
    }
  };

  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > 64) {
      throw new AppError('OUTPUT_TOO_LARGE', `output ${dir} nests directories deeper than 64 levels`);
    }
    const entries = await sftpReaddir(sftp, dir);
    entries.sort((a, b) => (a.filename < b.filename ? -1 : 1));
    for (const { filename, attrs } of entries) {
      if (filename === '.' || filename === '..' || filename.includes('/')) {
        continue;
      }
      const path = posix.join(dir, filename);
      if (attrs.isSymbolicLink()) {
        result.skipped.push({ path, reason: 'symlink' });
      } else if (attrs.isDirectory()) {
        await walk(path, depth + 1);
      } else if (attrs.isFile()) {
        addFile(path, attrs.size);
      } else {
        result.skipped.push({ path, reason: 'not_a_regular_file' });
      }
    }
  };

  try {
    for (const path of options.paths) {
      assertOutputPath(path);
      let attrs: Awaited<ReturnType<typeof sftpStat>>;
      try {
        attrs = await sftpStat(sftp, path);
      } catch (error) {
        if (isNoSuchFile(error)) {
          result.missing.push(path);
          continue;
        }
        throw error;
      }
      if (attrs.isDirectory()) {
        await walk(path, 0);
      } else if (attrs.isFile()) {
        addFile(path, attrs.size);
      } else {
        result.skipped.push({ path, reason: 'not_a_regular_file' });
      }
    }
  } catch (error) {
    throw asCollectError(session, error);
  }

  // The files that fit, in listing order; the others stay on the server.
  const planned: CollectedFile[] = [];
  const left = new Set<string>();
  let plannedBytes = 0;
  for (const file of listed) {
    if (plannedBytes + file.size <= options.maxBytes) {
      planned.push(file);
      plannedBytes += file.size;
    } else {
      left.add(file.path);
    }
  }
  const sizeSeen = new Map(listed.map((f) => [f.path, f.size]));

  // Downloads run FILES_IN_PARALLEL at a time (a round trip per open/close adds up over a real
  // network). Each file may grow after the listing by what the cap leaves over (`slack`); a file
  // that grew past it, or past what is left of the cap when it finished, is removed and left out.
  const created: string[] = [];
  const slack = options.maxBytes - plannedBytes;
  let written = 0;
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < planned.length) {
      const file = planned[next++] as CollectedFile;
      try {
        const first = await mkdir(resolve(file.localPath, '..'), { recursive: true });
        if (first !== undefined) {
          created.push(first);
        }
        created.push(file.localPath);
        const listedSize = file.size;
        const copied = await download(sftp, file, listedSize + slack);
        if (copied > listedSize + slack || written + copied > options.maxBytes) {
          // It grew after the listing: never keep a part of a file.
          sizeSeen.set(file.path, Math.max(listedSize, copied));
          left.add(file.path);
          await rm(file.localPath, { force: true });
        } else {
          written += copied;
          sizeSeen.set(file.path, copied);
        }
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(FILES_IN_PARALLEL, planned.length) }, worker));
  if (failure !== undefined) {
    for (const path of created.reverse()) {
      await rm(path, { recursive: true, force: true });
    }
    throw asCollectError(session, failure.error);
  }
  result.files = planned.filter((f) => !left.has(f.path));
  result.totalBytes = written;
  if (left.size > 0) {
    const totalBytes = [...sizeSeen.values()].reduce((sum, size) => sum + size, 0);
    result.overCap = {
      totalBytes,
      maxBytes: options.maxBytes,
      overBytes: Math.max(1, totalBytes - options.maxBytes),
      left: listed.filter((f) => left.has(f.path)).map((f) => f.path),
    };
  }
  return result;
}

/**
 * Copy one file, reading at most `budget + 1` bytes. Returns the bytes copied; more than `budget`
 * means the file grew past the cap after it was listed. Reads up to the listed size first (one
 * round of requests for a small file), then on to the budget only if the file grew.
 */
async function download(sftp: SFTPWrapper, file: CollectedFile, budget: number): Promise<number> {
  const remote = await sftpOpen(sftp, file.path, 'r');
  const local = await open(file.localPath, 'w', 0o644);
  try {
    const write = async (_position: number, data: Buffer) => {
      await local.write(data);
    };
    const listed = Math.min(file.size, budget) + 1;
    let end = await sftpReadBlocks(sftp, remote, 0, listed, write, { inFlight: 8 });
    if (end === listed && end <= budget) {
      end = await sftpReadBlocks(sftp, remote, end, budget + 1, write, { inFlight: 8 });
    }
    file.size = Math.min(end, budget);
    return end;
  } finally {
    await local.close();
    await sftpClose(sftp, remote).catch(() => {});
  }
}

function assertOutputPath(path: string): void {
  const ok = path.startsWith('/') && path !== '/' && !path.split('/').includes('..') && !path.includes('\0');
  if (!ok) {
    throw new AppError(
      'OUTPUT_PATH_INVALID',
      `output path ${JSON.stringify(path)} must be absolute, not /, without ..`,
    );
  }
}

function asCollectError(session: SshSession, error: unknown): Error {
  if (hasErrorCode(error) && error instanceof Error) {
    return error; // OUTPUT_TOO_LARGE (file count, depth), OUTPUT_PATH_INVALID, or an SSH_ERROR already
  }
  if (error instanceof Error && 'syscall' in error) {
    return error; // a local file system failure (ENOSPC, EACCES): not the connection's fault
  }
  const sftpStatus = typeof (error as { code?: unknown } | null)?.code === 'number';
  return sshError(
    sftpStatus && !session.closed ? 'remote_error' : 'connection_lost',
    `collecting outputs from ${session.address}: ${messageOf(error)}`,
    { cause: error },
  );
}

import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import ignore, { type Ignore } from 'ignore';
import { create as createTar } from 'tar';

/** Files whose rules are read in every directory (the rules apply below it). */
export const IGNORE_FILES = ['.gitignore', '.clore-batchignore'] as const;

/** Every entry's mtime in the tarball: an unchanged tree gives the same bytes, hence the same SHA-256. */
const FIXED_MTIME = new Date(0);

export interface PackedWorkdir {
  /** The tar.gz (in a temp directory: call `dispose()` when done). */
  path: string;
  sha256: string;
  sizeBytes: number;
  /** The packed entries (paths relative to the directory, `/` separated, sorted). */
  entries: string[];
  dispose(): Promise<void>;
}

interface Rules {
  /** The directory the rules were read in, relative to the root ('' for the root itself). */
  base: string;
  matcher: Ignore;
}

async function rulesIn(root: string, base: string): Promise<Rules | undefined> {
  const matcher = ignore();
  let any = false;
  for (const name of IGNORE_FILES) {
    const text = await readFile(join(root, base, name), 'utf8').catch(() => undefined);
    if (text !== undefined) {
      matcher.add(text);
      any = true;
    }
  }
  return any ? { base, matcher } : undefined;
}

function ignored(rules: Rules[], path: string, isDir: boolean): boolean {
  return rules.some((r) => {
    const relative = r.base === '' ? path : path.slice(r.base.length + 1);
    return r.matcher.ignores(isDir ? `${relative}/` : relative);
  });
}

/**
 * The entries to pack, sorted (by UTF-16 code units, the same on every machine): every file, symlink
 * and directory under `root` but `.git` and what the `.gitignore` / `.clore-batchignore` of its
 * directory or any directory above it ignores (each file's rules apply relative to where it is).
 */
export async function listWorkdir(root: string): Promise<string[]> {
  const entries: string[] = [];
  const walk = async (dir: string, inherited: Rules[]) => {
    const own = await rulesIn(root, dir);
    const rules = own === undefined ? inherited : [...inherited, own];
    const names = (await readdir(join(root, dir))).sort();
    for (const name of names) {
      if (name === '.git') {
        continue;
      }
      const path = dir === '' ? name : `${dir}/${name}`;
      const info = await lstat(join(root, path));
      if (ignored(rules, path, info.isDirectory())) {
        continue;
      }
      entries.push(path);
      if (info.isDirectory()) {
        await walk(path, rules);
      }
    }
  };
  await walk('', []);
  return entries.sort();
}

/**
 * Pack `root` into a deterministic tar.gz (docs/decisions/0137): the listed entries in sorted
 * order, no directory recursion by tar, every mtime fixed, no uid/gid/user/group names (portable),
 * a gzip header without a time; then its SHA-256 and size (read back from the temp file).
 */
export async function packWorkdir(root: string): Promise<PackedWorkdir> {
  const entries = await listWorkdir(root);
  const dir = await mkdtemp(join(tmpdir(), 'clore-batch-workdir-'));
  const path = join(dir, 'workdir.tar.gz');
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    await pipeline(
      createTar({ cwd: root, gzip: true, portable: true, noDirRecurse: true, mtime: FIXED_MTIME }, entries),
      createWriteStream(path),
    );
    const hash = createHash('sha256');
    let sizeBytes = 0;
    for await (const chunk of createReadStream(path)) {
      hash.update(chunk as Buffer);
      sizeBytes += (chunk as Buffer).length;
    }
    return { path, sha256: hash.digest('hex'), sizeBytes, entries, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

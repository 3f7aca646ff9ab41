import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { listWorkdir, type PackedWorkdir, packWorkdir } from './pack-workdir';

const run = promisify(execFile);
const temps: string[] = [];
const packs: PackedWorkdir[] = [];

afterEach(async () => {
  for (const pack of packs.splice(0)) {
    await pack.dispose();
  }
  for (const dir of temps.splice(0)) {
    await rm(dir, { recursive: true, force: true });
  }
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cb-pack-test-'));
  temps.push(dir);
  return dir;
}

async function tree(files: Record<string, string>): Promise<string> {
  const root = await tempDir();
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

async function pack(root: string): Promise<PackedWorkdir> {
  const packed = await packWorkdir(root);
  packs.push(packed);
  return packed;
}

const PROJECT = {
  'train.py': 'print("train")\n',
  'data/input.csv': 'a,b\n1,2\n',
  'data/raw/huge.bin': 'ignored by the nested .gitignore',
  'data/.gitignore': 'raw/\n*.tmp\n',
  'data/scratch.tmp': 'ignored (nested rule)',
  'top.tmp': 'kept: the *.tmp rule is data/ only',
  '.gitignore': 'node_modules/\n*.pyc\n!keep.pyc\n',
  'node_modules/lib/index.js': 'ignored',
  'cache.pyc': 'ignored',
  'keep.pyc': 'kept (negated)',
  '.clore-batchignore': '/secrets.env\ncheckpoints/\n',
  'secrets.env': 'TOKEN=x',
  'sub/secrets.env': 'kept: /secrets.env is anchored at the root',
  'checkpoints/model.pt': 'ignored',
  '.git/config': '[core]',
  '.git/objects/ab/cdef': 'blob',
  'sub/.git': 'gitdir: ../.git/modules/sub',
};

describe('packWorkdir', () => {
  it('honours .gitignore (nested too) and .clore-batchignore, and skips .git', async () => {
    const root = await tree(PROJECT);
    await mkdir(join(root, 'empty'));
    expect(await listWorkdir(root)).toEqual([
      '.clore-batchignore',
      '.gitignore',
      'data',
      'data/.gitignore',
      'data/input.csv',
      'empty',
      'keep.pyc',
      'sub',
      'sub/secrets.env',
      'top.tmp',
      'train.py',
    ]);
    const packed = await pack(root);
    const { stdout } = await run('tar', ['-tzf', packed.path]);
    expect(stdout.trim().split('\n')).toEqual(
      packed.entries.map((e) => (e === 'data' || e === 'empty' || e === 'sub' ? `${e}/` : e)),
    );
    const out = await tempDir();
    await run('tar', ['-xzf', packed.path, '-C', out]);
    expect(await readFile(join(out, 'data/input.csv'), 'utf8')).toBe('a,b\n1,2\n');
    expect(await readFile(join(out, 'train.py'), 'utf8')).toBe('print("train")\n');
  });

  it('is deterministic: the same tree gives the same SHA-256 wherever it is and whatever its mtimes', async () => {
    const root = await tree(PROJECT);
    const first = await pack(root);
    const again = await pack(root);
    expect(again.sha256).toBe(first.sha256);
    expect(first.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(first.sizeBytes).toBe((await readFile(first.path)).length);

    const copy = join(await tempDir(), 'elsewhere');
    await cp(root, copy, { recursive: true });
    await utimes(join(copy, 'train.py'), new Date('2020-01-01'), new Date('2020-01-01'));
    expect((await pack(copy)).sha256).toBe(first.sha256);

    // Every entry has the fixed mtime and no owner.
    const { stdout } = await run('tar', ['--numeric-owner', '-tvzf', first.path]);
    for (const line of stdout.trim().split('\n')) {
      expect(line).toMatch(/ 0\/0 .* 1970-01-01 /);
    }

    await writeFile(join(copy, 'train.py'), 'print("changed")\n');
    expect((await pack(copy)).sha256).not.toBe(first.sha256);
    await writeFile(join(copy, 'node_modules/lib/index.js'), 'ignored files do not count');
    await writeFile(join(copy, 'train.py'), 'print("train")\n');
    expect((await pack(copy)).sha256).toBe(first.sha256);
  });
});

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RemoteKit, startRemoteKit } from '../../test/support/remote-kit';
import { collectOutputs } from './collect-outputs';
import type { SshSession } from './ssh-session';

let kit: RemoteKit;
let session: SshSession;
let remote: string;
const big = randomBytes(3 * 1024 * 1024 + 17);
beforeAll(async () => {
  kit = await startRemoteKit();
  session = await kit.connect();
  // The "server" is this host: lay out a job's outputs under a unique directory.
  remote = join(kit.root, 'container');
  await mkdir(join(remote, 'out/sub/deeper'), { recursive: true });
  await writeFile(join(remote, 'out/a.txt'), 'alpha\n');
  await writeFile(join(remote, 'out/sub/big.bin'), big);
  await writeFile(join(remote, 'out/sub/deeper/empty'), '');
  await symlink('/etc/passwd', join(remote, 'out/escape'));
  await symlink('..', join(remote, 'out/sub/loop'));
  await writeFile(join(remote, 'single.json'), '{"ok":true}');
});
afterAll(async () => {
  await session.close();
  await kit.stop();
});

async function freshDest(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'cb-dest-'));
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('collectOutputs', () => {
  it('fetches a directory recursively and a file, keeping their paths, skipping symlinks, reporting missing', async () => {
    const dest = await freshDest();
    try {
      const result = await collectOutputs(session, {
        paths: [join(remote, 'out'), join(remote, 'single.json'), join(remote, 'nope')],
        destDir: dest,
        maxBytes: 10 * 1024 * 1024,
      });
      const local = (p: string) => join(dest, remote, p);
      expect(result.missing).toEqual([join(remote, 'nope')]);
      expect(result.skipped).toEqual([
        { path: join(remote, 'out/escape'), reason: 'symlink' },
        { path: join(remote, 'out/sub/loop'), reason: 'symlink' },
      ]);
      expect(result.files.map((f) => [f.path, f.size])).toEqual([
        [join(remote, 'out/a.txt'), 6],
        [join(remote, 'out/sub/big.bin'), big.length],
        [join(remote, 'out/sub/deeper/empty'), 0],
        [join(remote, 'single.json'), 11],
      ]);
      expect(result.totalBytes).toBe(6 + big.length + 11);
      expect(await readFile(local('out/a.txt'), 'utf8')).toBe('alpha\n');
      expect(sha(await readFile(local('out/sub/big.bin')))).toBe(sha(big));
      expect(await readFile(local('single.json'), 'utf8')).toBe('{"ok":true}');
      expect((await listFiles(dest)).sort()).toEqual(result.files.map((f) => f.localPath).sort());
    } finally {
      await rm(dest, { recursive: true, force: true });
    }
  });

  it('over the cap: downloads the files that fit (whole) and reports the rest with the bytes over', async () => {
    const dest = await freshDest();
    try {
      const cap = 1024 * 1024;
      const result = await collectOutputs(session, {
        paths: [join(remote, 'out')],
        destDir: dest,
        maxBytes: cap,
      });
      expect(result.files.map((f) => [f.path, f.size])).toEqual([
        [join(remote, 'out/a.txt'), 6],
        [join(remote, 'out/sub/deeper/empty'), 0],
      ]);
      expect(result.totalBytes).toBe(6);
      expect(result.overCap).toEqual({
        totalBytes: 6 + big.length,
        maxBytes: cap,
        overBytes: 6 + big.length - cap,
        left: [join(remote, 'out/sub/big.bin')],
      });
      expect((await listFiles(dest)).sort()).toEqual(result.files.map((f) => f.localPath).sort());
      expect(await readFile(join(dest, remote, 'out/a.txt'), 'utf8')).toBe('alpha\n');
    } finally {
      await rm(dest, { recursive: true, force: true });
    }
  });

  it('follows a file that grows after the listing, and leaves it out (removing what it wrote) once past the cap', async () => {
    // /proc files list as 0 bytes and read as more: a file that grew after the listing, deterministically.
    const dest = await freshDest();
    try {
      const fetched = await collectOutputs(session, {
        paths: ['/proc/self/status'],
        destDir: dest,
        maxBytes: 1 << 20,
      });
      expect(fetched.overCap).toBeUndefined();
      expect(fetched.files[0]?.size).toBeGreaterThan(100);
      expect(await readFile(join(dest, 'proc/self/status'), 'utf8')).toMatch(/^Name:/);
      await rm(join(dest, 'proc'), { recursive: true });
      const result = await collectOutputs(session, {
        paths: ['/proc/self/status'],
        destDir: dest,
        maxBytes: 100,
      });
      expect(result.files).toEqual([]);
      expect(result.overCap).toEqual({
        totalBytes: 101,
        maxBytes: 100,
        overBytes: 1,
        left: ['/proc/self/status'],
      });
      expect(await listFiles(dest)).toEqual([]);
    } finally {
      await rm(dest, { recursive: true, force: true });
    }
  });

  it('fetches many small files (downloaded four at a time) each with its own content', async () => {
    const many = join(kit.root, 'many');
    await mkdir(many);
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => writeFile(join(many, `f${i}.txt`), `file ${i}\n`.repeat(i))),
    );
    const dest = await freshDest();
    try {
      const result = await collectOutputs(session, { paths: [many], destDir: dest, maxBytes: 1 << 20 });
      expect(result.files).toHaveLength(200);
      for (let i = 0; i < 200; i += 1) {
        expect(await readFile(join(dest, many, `f${i}.txt`), 'utf8')).toBe(`file ${i}\n`.repeat(i));
      }
      expect(result.totalBytes).toBe(result.files.reduce((sum, f) => sum + f.size, 0));
    } finally {
      await rm(dest, { recursive: true, force: true });
    }
  });

  it('rejects relative paths and `..`', async () => {
    for (const path of ['relative/x', '/a/../etc', '/']) {
      await expect(
        collectOutputs(session, { paths: [path], destDir: kit.root, maxBytes: 10 }),
      ).rejects.toMatchObject({
        code: 'OUTPUT_PATH_INVALID',
      });
    }
  });
});

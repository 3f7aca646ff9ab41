import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { uploadPath } from '@clore-batch/shared';
import { type RedisHandle, startRedis } from '@clore-batch/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pushWorkdir } from '../src/remote/push-workdir';
import { type Kit, startKit } from './support/e2e-kit';
import { type RemoteKit, startRemoteKit } from './support/remote-kit';

const run = promisify(execFile);

let redis: RedisHandle;
let kit: Kit | undefined;
let remote: RemoteKit | undefined;
const temps: string[] = [];

beforeAll(async () => {
  redis = await startRedis({ private: true });
});
afterAll(async () => {
  await redis.stop();
});
afterEach(async () => {
  await kit?.close();
  kit = undefined;
  await remote?.stop();
  remote = undefined;
  for (const dir of temps.splice(0)) {
    await rm(dir, { recursive: true, force: true });
  }
});

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cb-workdir-'));
  temps.push(dir);
  return dir;
}

/** `files` random files in 10 directories, `totalBytes` in all; their relative paths (`./d3/f0042.bin`). */
async function randomTree(root: string, files: number, totalBytes: number): Promise<string[]> {
  const paths: string[] = [];
  const each = Math.ceil(totalBytes / files);
  for (let i = 0; i < files; i += 1) {
    const path = `./d${i % 10}/f${String(i).padStart(4, '0')}${i % 7 === 0 ? ' with space' : ''}.bin`;
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), randomBytes(each - (i % 3)));
    paths.push(path);
  }
  return paths;
}

/** What `LC_ALL=C find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum` prints (the digest part). */
async function treeDigest(root: string, paths: string[]): Promise<string> {
  const sorted = [...paths].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  let listing = '';
  for (const path of sorted) {
    listing += `${sha256(await readFile(join(root, path)))}  ${path}\n`;
  }
  return sha256(listing);
}

/** The tree as a tar.gz stored as the owner's upload in DATA_DIR (what POST /v1/uploads leaves). */
async function storeUpload(dataDir: string, owner: string, tree: string): Promise<string> {
  const tarball = join(await tempDir(), 'tree.tar.gz');
  await run('tar', ['-czf', tarball, '-C', tree, '.']);
  const data = await readFile(tarball);
  const digest = sha256(data);
  const target = uploadPath(dataDir, owner, digest);
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, data);
  return digest;
}

const DIGEST_COMMAND = 'export LC_ALL=C; find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum';

describe('workdir uploads', () => {
  it('a workdir of 1,000 files and 50 MiB arrives byte-exact and the command runs inside it', async () => {
    const tree = await tempDir();
    const paths = await randomTree(tree, 1_000, 50 * 1024 * 1024);
    const expected = await treeDigest(tree, paths);
    kit = await startKit(redis.url);
    const upload = await storeUpload(kit.dataDir, 'e2e', tree);
    const job = await kit.submit({ command: `pwd; ${DIGEST_COMMAND}`, workdir: { upload } });
    const done = await kit.waitDone(job.id, 180_000);
    const log = (await kit.store.readLog(job.id)).toString();
    expect(done.state, log).toBe('succeeded');
    const [pwd, digestLine] = log.trim().split('\n');
    expect(pwd).toBe(`${done.attempts[0]?.remoteDir}/workdir`);
    expect(digestLine).toBe(`${expected}  -`);
    await kit.noActiveOrders();
  }, 300_000);

  it('a job whose upload is gone fails before renting a server (no order, no fee) and is not retried', async () => {
    kit = await startKit(redis.url);
    const job = await kit.submit({
      command: 'echo never',
      workdir: { upload: sha256('nothing') },
      maxAttempts: 3,
    });
    const done = await kit.waitDone(job.id, 60_000);
    expect(done.state).toBe('failed');
    expect(done.reason).toBe('internal');
    // Known before renting: no order was placed, so no creation fee and no provisioning were paid.
    expect(done.attempts).toHaveLength(0);
    expect(await kit.orders()).toEqual([]);
    expect(done.costUsd).toBe(0);
    expect(JSON.stringify(done.events)).toContain('workdir upload is gone');
    expect((await kit.store.readLog(job.id)).toString()).not.toContain('never');
    await kit.noActiveOrders();
  }, 120_000);

  it('unpacks once: a second push (a resumed job) leaves the unpacked tree and what the command wrote alone', async () => {
    remote = await startRemoteKit();
    const tree = await tempDir();
    await writeFile(join(tree, 'input.txt'), 'first');
    const tarball = join(await tempDir(), 'a.tar.gz');
    await run('tar', ['-czf', tarball, '-C', tree, '.']);
    const jobDir = remote.jobDir();
    const session = await remote.connect();
    try {
      const first = await pushWorkdir(session, { jobDir, tarball });
      expect(first).toEqual({ workDir: `${jobDir}/workdir`, unpacked: true });
      expect(await readFile(join(first.workDir, 'input.txt'), 'utf8')).toBe('first');
      await writeFile(join(first.workDir, 'input.txt'), 'changed by the command');
      await writeFile(join(first.workDir, 'result.txt'), 'made by the command');
      const again = await pushWorkdir(session, { jobDir, tarball });
      expect(again.unpacked).toBe(false);
      expect(await readFile(join(first.workDir, 'input.txt'), 'utf8')).toBe('changed by the command');
      expect(await readFile(join(first.workDir, 'result.txt'), 'utf8')).toBe('made by the command');
      // Nothing of the transfer is left beside it.
      const { stdout } = await run('ls', ['-A', jobDir]);
      expect(stdout.trim().split('\n').sort()).toEqual(['workdir', 'workdir.done']);
    } finally {
      await session.close();
    }
  }, 60_000);
});

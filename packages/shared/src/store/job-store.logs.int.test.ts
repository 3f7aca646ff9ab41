import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type StoreFixture, type StoreServer, startStoreServer, testSpec } from './store-fixture';

let server: StoreServer;
let f: StoreFixture;

beforeAll(async () => {
  server = await startStoreServer();
});
afterAll(async () => {
  await server.stop();
});
beforeEach(async () => {
  f = await openStore(server, { logTailBytes: 1024 });
});
afterEach(async () => {
  await f.close();
});

async function newJobId(): Promise<string> {
  return (await f.store.create({ spec: testSpec(), owner: 'alice' })).job.id;
}

describe('appendLog', () => {
  it('stores each byte exactly once under repeated and overlapping ranges', async () => {
    const id = await newJobId();
    const log = randomBytes(10_000);
    const ranges: Array<[number, number]> = [
      [0, 100],
      [0, 100], // repeated
      [50, 300], // overlaps
      [300, 300], // empty
      [300, 4_000],
      [1_000, 2_000], // entirely inside
      [3_999, 10_000],
      [0, 10_000], // everything again
    ];
    for (const [from, to] of ranges) {
      await f.store.appendLog(id, from, log.subarray(from, to));
    }
    expect(await f.store.logSize(id)).toBe(10_000);
    expect(await readFile(f.store.logFilePath(id))).toEqual(log);
    expect(await f.store.readLog(id)).toEqual(log);
    expect(await f.store.readLog(id, 9_000, 500)).toEqual(log.subarray(9_000, 9_500));
  });

  it('keeps the order of appends that are not awaited one by one', async () => {
    const id = await newJobId();
    const log = randomBytes(5_000);
    const writes: Promise<number>[] = [];
    for (let at = 0; at < log.length; at += 100) {
      writes.push(f.store.appendLog(id, at, log.subarray(at, at + 100)));
    }
    await Promise.all(writes);
    expect(await f.store.readLog(id)).toEqual(log);
  });

  it('refuses a chunk that would leave a gap', async () => {
    const id = await newJobId();
    await f.store.appendLog(id, 0, Buffer.from('abc'));
    await expect(f.store.appendLog(id, 10, Buffer.from('xyz'))).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(await f.store.readLog(id)).toEqual(Buffer.from('abc'));
  });

  it('keeps a bounded tail in Redis and serves it when the file is absent', async () => {
    const id = await newJobId();
    const log = randomBytes(20_000);
    for (let at = 0; at < log.length; at += 333) {
      await f.store.appendLog(id, at, log.subarray(at, at + 333));
    }
    const tailKey = `${f.prefix}:jobstore:job:${id}:log-tail`;
    const tailLength = await server.redis.strlen(tailKey);
    expect(tailLength).toBeGreaterThanOrEqual(1024);
    expect(tailLength).toBeLessThanOrEqual(2 * 1024 + 333);
    await rm(f.store.jobDir(id), { recursive: true });
    const chunk = await f.store.readLogChunk(id, 0);
    expect(chunk.offset).toBe(20_000 - tailLength);
    expect(chunk.data).toEqual(log.subarray(chunk.offset));
    expect(await f.store.readLog(id, 19_990)).toEqual(log.subarray(19_990));
  });

  it('answers JOB_NOT_FOUND for an unknown job and never touches a path outside dataDir', async () => {
    await expect(f.store.appendLog('../../x', 0, Buffer.from('a'))).rejects.toMatchObject({
      code: 'JOB_NOT_FOUND',
    });
    await expect(f.store.logSize('job_01ARZ3NDEKTSV4RRFFQ69G5FAV')).rejects.toMatchObject({
      code: 'JOB_NOT_FOUND',
    });
  });
});

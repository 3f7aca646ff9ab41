import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { describe, expect } from 'vitest';
import { createJob, it } from '../../test/store-fixture';

describe('appendLog', () => {
  it('stores each byte exactly once under repeated and overlapping ranges', async ({ store }) => {
    const id = (await createJob(store)).id;
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
      await store.appendLog(id, from, log.subarray(from, to));
    }
    expect(await store.logSize(id)).toBe(10_000);
    expect(await readFile(store.logFilePath(id))).toEqual(log);
    expect(await store.readLog(id)).toEqual(log);
    expect(await store.readLog(id, 9_000, 500)).toEqual(log.subarray(9_000, 9_500));
  });

  it('keeps the order of appends that are not awaited one by one', async ({ store }) => {
    const id = (await createJob(store)).id;
    const log = randomBytes(5_000);
    const writes: Promise<number>[] = [];
    for (let at = 0; at < log.length; at += 100) {
      writes.push(store.appendLog(id, at, log.subarray(at, at + 100)));
    }
    await Promise.all(writes);
    expect(await store.readLog(id)).toEqual(log);
  });

  it('refuses a chunk that would leave a gap', async ({ store }) => {
    const id = (await createJob(store)).id;
    await store.appendLog(id, 0, Buffer.from('abc'));
    await expect(store.appendLog(id, 10, Buffer.from('xyz'))).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(await store.readLog(id)).toEqual(Buffer.from('abc'));
  });

  it('keeps a bounded tail in Redis and serves it when the file is absent', async ({
    store,
    prefix,
    redis,
  }) => {
    const id = (await createJob(store)).id;
    const log = randomBytes(20_000);
    for (let at = 0; at < log.length; at += 333) {
      await store.appendLog(id, at, log.subarray(at, at + 333));
    }
    const tailKey = `${prefix}:jobstore:job:${id}:log-tail`;
    const tailLength = await redis.strlen(tailKey);
    expect(tailLength).toBeGreaterThanOrEqual(1024);
    expect(tailLength).toBeLessThanOrEqual(2 * 1024 + 333);
    await rm(store.jobDir(id), { recursive: true });
    const chunk = await store.readLogChunk(id, 0);
    expect(chunk.offset).toBe(20_000 - tailLength);
    expect(chunk.data).toEqual(log.subarray(chunk.offset));
    expect(await store.readLog(id, 19_990)).toEqual(log.subarray(19_990));
  });

  it('answers JOB_NOT_FOUND for an unknown job and never touches a path outside dataDir', async ({
    store,
  }) => {
    await expect(store.appendLog('../../x', 0, Buffer.from('a'))).rejects.toMatchObject({
      code: 'JOB_NOT_FOUND',
    });
    await expect(store.logSize('job_01ARZ3NDEKTSV4RRFFQ69G5FAV')).rejects.toMatchObject({
      code: 'JOB_NOT_FOUND',
    });
  });
});

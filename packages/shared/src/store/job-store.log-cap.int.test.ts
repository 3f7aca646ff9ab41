import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { it } from '@clore-batch/testing/fixtures';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect } from 'vitest';
import { testSpec } from '../../test/store-fixture';
import { createJobStore, type JobStore } from './job-store';
import { storeKeys } from './keys';
import { dropMarker, logLayout } from './log-layout';

const MAX = 64 * 1024;
const LAYOUT = logLayout(MAX) as NonNullable<ReturnType<typeof logLayout>>;
const MARKER = /\n\[clore-batch: (\d+) bytes of output dropped here \(LOG_MAX_BYTES\)\]\n/;

interface StoreFixture {
  store: JobStore;
  prefix: string;
  dataDir: string;
}
interface Context {
  redis: Redis;
  prefix: string;
  dataDir: string;
}
const opened: JobStore[] = [];

afterEach(async () => {
  for (const store of opened.splice(0)) {
    await store.close();
  }
});

/** A store on the test's Redis prefix and data directory with LOG_MAX_BYTES = MAX. */
function open(
  { redis, prefix, dataDir }: Context,
  options: { logMaxBytes?: number; logTailBytes?: number } = {},
): StoreFixture {
  const store = createJobStore({ redis, prefix, dataDir, logTailBytes: 1024, logMaxBytes: MAX, ...options });
  opened.push(store);
  return { store, prefix, dataDir };
}

async function newJob(f: StoreFixture): Promise<string> {
  return (await f.store.create({ spec: testSpec(), owner: 'alice' })).job.id;
}

async function appendAll(store: JobStore, id: string, log: Buffer, chunk: number): Promise<void> {
  for (let at = 0; at < log.length; at += chunk) {
    await store.appendLog(id, at, log.subarray(at, at + chunk));
  }
}

/** Everything a reader gets from `from` on, chunk by chunk, with the offsets it was given. */
async function readAll(store: JobStore, id: string, from = 0, chunkBytes = 10_000) {
  const parts: Buffer[] = [];
  const offsets: number[] = [];
  let offset = from;
  for (;;) {
    const chunk = await store.readLogChunk(id, offset, chunkBytes);
    if (chunk.data.length === 0) {
      return { data: Buffer.concat(parts), offsets };
    }
    parts.push(chunk.data);
    offsets.push(chunk.offset);
    offset = chunk.offset + chunk.data.length;
  }
}

async function filesOf(dir: string): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for (const name of await readdir(dir, { recursive: true })) {
    const info = await stat(join(dir, name));
    if (info.isFile()) {
      sizes.set(name, info.size);
    }
  }
  return sizes;
}

describe('LOG_MAX_BYTES', () => {
  it('keeps the head and the tail with the marker; the numbers add up; the disk stays bounded', async ({
    redis,
    prefix,
    dataDir,
  }) => {
    const f = open({ redis, prefix, dataDir });
    const id = await newJob(f);
    const log = randomBytes(1024 * 1024);
    let peakDisk = 0;
    for (let at = 0; at < log.length; at += 7_001) {
      await f.store.appendLog(id, at, log.subarray(at, at + 7_001));
      const total = [...(await filesOf(f.store.jobDir(id))).values()].reduce((a, b) => a + b, 0);
      peakDisk = Math.max(peakDisk, total);
    }
    expect(peakDisk).toBeLessThanOrEqual(MAX);
    expect(await f.store.logSize(id)).toBe(log.length);

    const { data, offsets } = await readAll(f.store, id);
    const text = data.toString('latin1');
    const match = MARKER.exec(text);
    expect(match).not.toBeNull();
    const dropped = Number(match?.[1]);
    const head = data.subarray(0, match?.index);
    const tail = data.subarray((match?.index ?? 0) + (match?.[0].length ?? 0));
    expect(head.equals(log.subarray(0, LAYOUT.head))).toBe(true);
    expect(tail.equals(log.subarray(log.length - tail.length))).toBe(true);
    expect(head.length + dropped + tail.length).toBe(log.length);
    expect(tail.length).toBeGreaterThan(LAYOUT.tail - LAYOUT.segment);
    expect(tail.length).toBeLessThanOrEqual(LAYOUT.tail);
    // The marker reads as the last bytes of the dropped range: the kept tail is at its own offsets.
    const kept = log.length - tail.length;
    expect(offsets).toContain(kept - dropMarker(dropped).length);
    expect(offsets.at(-1)).toBeGreaterThanOrEqual(kept);
    expect((await f.store.readLogChunk(id, kept, 100)).data.equals(log.subarray(kept, kept + 100))).toBe(
      true,
    );
    expect((await f.store.readLogChunk(id, LAYOUT.head + 5, 30_000)).offset).toBe(
      kept - dropMarker(dropped).length,
    );

    const files = await filesOf(f.store.jobDir(id));
    expect(files.get('output.log')).toBe(LAYOUT.head);
    const segments = [...files.entries()].filter(([name]) => name.startsWith('output-tail'));
    expect(segments.reduce((sum, [, size]) => sum + size, 0)).toBe(tail.length);
    expect(segments.length).toBeLessThanOrEqual(8);

    const notes = (await f.store.get(id)).events.filter((e) => e.message?.includes('LOG_MAX_BYTES'));
    expect(notes).toHaveLength(1);
  });

  it('one append larger than the whole cap writes only what is kept', async ({ redis, prefix, dataDir }) => {
    const f = open({ redis, prefix, dataDir });
    const id = await newJob(f);
    const log = randomBytes(300_000);
    await f.store.appendLog(id, 0, log);
    const files = await filesOf(f.store.jobDir(id));
    const total = [...files.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(MAX);
    const { data } = await readAll(f.store, id);
    const match = MARKER.exec(data.toString('latin1'));
    const tail = data.subarray((match?.index ?? 0) + (match?.[0].length ?? 0));
    expect(LAYOUT.head + Number(match?.[1]) + tail.length).toBe(log.length);
    expect(tail.equals(log.subarray(log.length - tail.length))).toBe(true);
  });

  it('a follower crosses the gap: head, marker, tail, in offset order', async ({
    redis,
    prefix,
    dataDir,
  }) => {
    const f = open({ redis, prefix, dataDir });
    const id = await newJob(f);
    const log = randomBytes(200_000);
    await appendAll(f.store, id, log, 4_096);
    const items: Array<{ offset: number; data: Buffer }> = [];
    const controller = new AbortController();
    for await (const item of f.store.follow(id, { signal: controller.signal, chunkBytes: 8_192 })) {
      if (item.kind === 'log') {
        items.push(item);
        if (item.offset + item.data.length >= log.length) {
          controller.abort();
        }
      }
    }
    const followed = Buffer.concat(items.map((i) => i.data));
    expect(followed.equals((await readAll(f.store, id)).data)).toBe(true);
    for (let i = 1; i < items.length; i += 1) {
      const previous = items[i - 1] as { offset: number; data: Buffer };
      expect((items[i] as { offset: number }).offset).toBeGreaterThanOrEqual(
        previous.offset + previous.data.length,
      );
    }
  });

  it('without the files (another host), the Redis tail is served and the dropped range is the marker', async ({
    redis,
    prefix,
    dataDir,
  }) => {
    const f = open({ redis, prefix, dataDir }, { logTailBytes: 4_096 });
    const id = await newJob(f);
    const log = randomBytes(150_000);
    await appendAll(f.store, id, log, 1_000);
    await rm(f.store.jobDir(id), { recursive: true });
    const atHead = await f.store.readLogChunk(id, 0, 1_000_000);
    expect(atHead.data.equals(log.subarray(atHead.offset, atHead.offset + atHead.data.length))).toBe(true);
    expect(atHead.offset + atHead.data.length).toBe(log.length);
    const inGap = await f.store.readLogChunk(id, LAYOUT.head + 1, 1_000);
    expect(inGap.data.toString()).toMatch(MARKER);
  });

  it("the layout is fixed by the log's first append; a log begun without one stays whole", async ({
    redis,
    prefix,
    dataDir,
  }) => {
    const f = open({ redis, prefix, dataDir });
    const other = createJobStore({
      redis,
      prefix: f.prefix,
      dataDir: f.dataDir,
      logTailBytes: 1024,
      logMaxBytes: 10 * MAX,
    });
    try {
      const id = await newJob(f);
      const log = randomBytes(3 * MAX);
      await f.store.appendLog(id, 0, log.subarray(0, 10));
      await appendAll(other, id, log, 5_000); // another worker, another LOG_MAX_BYTES
      const { data } = await readAll(other, id);
      expect(data.subarray(0, LAYOUT.head).equals(log.subarray(0, LAYOUT.head))).toBe(true);
      expect(data.subarray(LAYOUT.head).toString('latin1')).toMatch(MARKER);

      const old = await newJob(f);
      await appendAll(other, old, log.subarray(0, 2 * MAX), 5_000);
      // An older version wrote no layout: without it, a log already past the head stays whole.
      await redis.hdel(storeKeys(f.prefix).logMeta(old), 'max');
      await appendAll(f.store, old, log, 5_000);
      expect((await readAll(f.store, old)).data.equals(log)).toBe(true);
      expect((await readFile(f.store.logFilePath(old))).equals(log)).toBe(true);
    } finally {
      await other.close();
    }
  });
});

describe('the log cursor', () => {
  it('is stored with the bytes it stands for, also alone at the stored size, and never ahead of them', async ({
    redis,
    prefix,
    dataDir,
  }) => {
    const f = open({ redis, prefix, dataDir });
    const id = await newJob(f);
    expect(await f.store.logCursor(id)).toEqual({ size: 0, cursor: undefined });
    await f.store.appendLog(id, 0, Buffer.from('hello '), 'c1');
    expect(await f.store.logCursor(id)).toEqual({ size: 6, cursor: 'c1' });
    await f.store.appendLog(id, 6, Buffer.alloc(0), 'c2');
    expect(await f.store.logCursor(id)).toEqual({ size: 6, cursor: 'c2' });
    await f.store.appendLog(id, 0, Buffer.from('hel'), 'stale');
    expect(await f.store.logCursor(id)).toEqual({ size: 6, cursor: 'c2' });
    await f.store.appendLog(id, 3, Buffer.from('lo world'), 'c3');
    expect(await f.store.logCursor(id)).toEqual({ size: 11, cursor: 'c3' });
    expect((await f.store.readLog(id)).toString()).toBe('hello world');
    expect((await readFile(f.store.logFilePath(id))).toString()).toBe('hello world');
  });
});

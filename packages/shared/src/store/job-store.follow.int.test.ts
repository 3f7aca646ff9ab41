import { randomBytes } from 'node:crypto';
import { waitFor } from '@clore-batch/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FollowItem, FollowOptions } from './follow';
import { createJobStore, type JobStore } from './job-store';
import { nextAfterTransition } from './next-record';
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

interface Collected {
  log: Buffer;
  /** Event indexes in the order yielded. */
  indexes: number[];
  /** Log bytes delivered before each event, by index. */
  logBeforeEvent: Map<number, number>;
  items: FollowItem[];
}

async function collect(id: string, options: FollowOptions = {}, slow = false): Promise<Collected> {
  let expectedOffset = options.fromOffset ?? 0;
  const parts: Buffer[] = [];
  const indexes: number[] = [];
  const logBeforeEvent = new Map<number, number>();
  const items: FollowItem[] = [];
  for await (const item of f.store.follow(id, { chunkBytes: 97, ...options })) {
    items.push(item);
    if (item.kind === 'log') {
      expect(item.offset).toBe(expectedOffset); // no gap, no repeat
      expectedOffset += item.data.length;
      parts.push(item.data);
    } else {
      indexes.push(item.index);
      logBeforeEvent.set(item.index, expectedOffset);
    }
    if (slow) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return { log: Buffer.concat(parts), indexes, logBeforeEvent, items };
}

/** A worker's life: transitions, info events and log chunks interleaved, ending in a terminal state. */
async function runJob(id: string, log: Buffer, store: JobStore = f.store): Promise<void> {
  await store.transition(id, 'dispatch');
  await store.addInfo(id, 'ordering a server');
  await store.transition(id, 'provisioned');
  let at = 0;
  let chunk = 0;
  while (at < log.length) {
    const size = 1 + ((chunk * 37) % 211);
    // Resend an overlapping range now and then, as a resumed worker does.
    const from = chunk % 5 === 4 ? Math.max(0, at - 50) : at;
    await store.appendLog(id, from, log.subarray(from, at + size));
    at = Math.min(log.length, at + size);
    chunk += 1;
    if (chunk % 20 === 0) {
      await store.addInfo(id, `progress ${at}`);
    }
  }
  await store.transition(id, 'command_exited', { exitCode: 0 });
  await store.transition(id, 'succeed');
}

function indexesFrom(from: number, count: number): number[] {
  return Array.from({ length: count - from }, (_, i) => from + i);
}

describe('follow', () => {
  it('yields the whole log and every event exactly once while the job runs', async () => {
    const { job } = await f.store.create({ spec: testSpec(), owner: 'alice' });
    const log = randomBytes(12_000);
    const followers = [collect(job.id), collect(job.id, {}, true), collect(job.id, {}, true)];
    await runJob(job.id, log);
    const final = await f.store.get(job.id);
    const exitedAt = final.events.findIndex((e) => e.event === 'command_exited');
    for (const result of await Promise.all(followers)) {
      expect(result.log).toEqual(log);
      expect(result.indexes).toEqual(indexesFrom(0, final.events.length));
      const events = result.items.flatMap((item) => (item.kind === 'event' ? [item.event] : []));
      expect(events).toEqual(final.events);
      // Everything written before command_exited came before it.
      expect(result.logBeforeEvent.get(exitedAt)).toBe(log.length);
    }
  });

  it('follows writes made by another store instance (the worker) on the same prefix', async () => {
    const worker = createJobStore({
      redis: server.redis,
      prefix: f.prefix,
      dataDir: f.dataDir,
      logTailBytes: 1024,
    });
    try {
      const { job } = await worker.create({ spec: testSpec(), owner: 'alice' });
      const log = randomBytes(3_000);
      const following = collect(job.id);
      await runJob(job.id, log, worker);
      const result = await following;
      expect(result.log).toEqual(log);
      expect(result.indexes).toEqual(indexesFrom(0, (await worker.get(job.id)).events.length));
    } finally {
      await worker.close();
    }
  });

  it('re-reads on its timer when a notification is lost', async () => {
    const { job } = await f.store.create({ spec: testSpec(), owner: 'alice' });
    const following = collect(job.id, { pollMs: 50 });
    await f.store.transition(job.id, 'dispatch');
    await waitFor(
      async () => (await server.redis.pubsub('NUMSUB', `${f.prefix}:jobstore:live:${job.id}`))[1] === 1,
    );
    // Write the final state straight into Redis: no message is published.
    const current = await f.store.get(job.id);
    const next = nextAfterTransition(current, 'fail', { reason: 'internal' }, new Date());
    await server.redis.hset(
      `${f.prefix}:jobstore:job:${job.id}`,
      'json',
      JSON.stringify(next),
      'state',
      'failed',
    );
    const result = await following;
    expect(result.indexes).toEqual([0, 1, 2]);
  });

  it('starts mid-way from a log offset and an event index (SSE Last-Event-ID)', async () => {
    const { job } = await f.store.create({ spec: testSpec(), owner: 'alice' });
    const log = randomBytes(5_000);
    const running = runJob(job.id, log);
    // Read a part, stop, then resume where the first reader stopped while the job still runs.
    let offset = 0;
    let index = 0;
    const firstPart: Buffer[] = [];
    for await (const item of f.store.follow(job.id, { chunkBytes: 128 })) {
      if (item.kind === 'log') {
        firstPart.push(item.data);
        offset = item.offset + item.data.length;
      } else {
        index = item.index + 1;
      }
      if (offset >= 1_000) {
        break;
      }
    }
    const rest = await collect(job.id, { fromOffset: offset, fromEventIndex: index });
    await running;
    const final = await f.store.get(job.id);
    expect(Buffer.concat([...firstPart, rest.log])).toEqual(log);
    expect(rest.indexes).toEqual(indexesFrom(index, final.events.length));

    const late = await collect(job.id, { fromOffset: 4_321, fromEventIndex: 3 });
    expect(late.log).toEqual(log.subarray(4_321));
    expect(late.indexes).toEqual(indexesFrom(3, final.events.length));
  });

  it('ends at once for a finished job read from its end', async () => {
    const { job } = await f.store.create({ spec: testSpec(), owner: 'alice' });
    await f.store.requestCancel(job.id);
    const result = await collect(job.id, { fromEventIndex: 2 });
    expect(result.items).toEqual([]);
  });

  it('stops when its signal aborts, while waiting for news', async () => {
    const { job } = await f.store.create({ spec: testSpec(), owner: 'alice' });
    const controller = new AbortController();
    const items: FollowItem[] = [];
    const following = (async () => {
      for await (const item of f.store.follow(job.id, { signal: controller.signal })) {
        items.push(item);
        if (item.kind === 'event' && item.event.event === 'dispatch') {
          controller.abort();
        }
      }
    })();
    await f.store.transition(job.id, 'dispatch');
    await following;
    expect(items.map((item) => (item.kind === 'event' ? item.index : -1))).toEqual([0, 1]);
  });

  it('answers JOB_NOT_FOUND for an unknown job', async () => {
    const iterator = f.store.follow('job_01ARZ3NDEKTSV4RRFFQ69G5FAV');
    await expect(iterator.next()).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
  });
});

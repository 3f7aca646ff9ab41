import { randomBytes } from 'node:crypto';
import { waitFor } from '@clore-batch/testing';
import { describe, expect } from 'vitest';
import { createJob, it, testSpec } from '../../test/store-fixture';
import type { FollowItem, FollowOptions } from './follow';
import { createJobStore, type JobStore } from './job-store';
import { nextAfterTransition } from './next-record';

interface Collected {
  log: Buffer;
  /** Event indexes in the order yielded. */
  indexes: number[];
  /** Log bytes delivered before each event, by index. */
  logBeforeEvent: Map<number, number>;
  items: FollowItem[];
}

async function collect(
  store: JobStore,
  id: string,
  options: FollowOptions = {},
  slow = false,
): Promise<Collected> {
  let expectedOffset = options.fromOffset ?? 0;
  const parts: Buffer[] = [];
  const indexes: number[] = [];
  const logBeforeEvent = new Map<number, number>();
  const items: FollowItem[] = [];
  for await (const item of store.follow(id, { chunkBytes: 97, ...options })) {
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
async function runJob(store: JobStore, id: string, log: Buffer): Promise<void> {
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
  it('yields the whole log and every event exactly once while the job runs', async ({ store }) => {
    const job = await createJob(store);
    const log = randomBytes(12_000);
    const followers = [
      collect(store, job.id),
      collect(store, job.id, {}, true),
      collect(store, job.id, {}, true),
    ];
    await runJob(store, job.id, log);
    const final = await store.get(job.id);
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

  it('follows writes made by another store instance (the worker) on the same prefix', async ({
    store,
    prefix,
    redis,
    dataDir,
  }) => {
    const worker = createJobStore({
      redis,
      prefix,
      dataDir,
      logTailBytes: 1024,
    });
    try {
      const { job } = await worker.create({ spec: testSpec(), owner: 'alice' });
      const log = randomBytes(3_000);
      const following = collect(store, job.id);
      await runJob(worker, job.id, log);
      const result = await following;
      expect(result.log).toEqual(log);
      expect(result.indexes).toEqual(indexesFrom(0, (await worker.get(job.id)).events.length));
    } finally {
      await worker.close();
    }
  });

  it('re-reads on its timer when a notification is lost', async ({ store, prefix, redis }) => {
    const job = await createJob(store);
    const following = collect(store, job.id, { pollMs: 50 });
    await store.transition(job.id, 'dispatch');
    await waitFor(async () => (await redis.pubsub('NUMSUB', `${prefix}:jobstore:live:${job.id}`))[1] === 1);
    // Write the final state straight into Redis: no message is published.
    const current = await store.get(job.id);
    const next = nextAfterTransition(current, 'fail', { reason: 'internal' }, new Date());
    await redis.hset(`${prefix}:jobstore:job:${job.id}`, 'json', JSON.stringify(next), 'state', 'failed');
    const result = await following;
    expect(result.indexes).toEqual([0, 1, 2]);
  });

  it('starts mid-way from a log offset and an event index (SSE Last-Event-ID)', async ({ store }) => {
    const job = await createJob(store);
    const log = randomBytes(5_000);
    const running = runJob(store, job.id, log);
    // Read a part, stop, then resume where the first reader stopped while the job still runs.
    let offset = 0;
    let index = 0;
    const firstPart: Buffer[] = [];
    for await (const item of store.follow(job.id, { chunkBytes: 128 })) {
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
    const rest = await collect(store, job.id, { fromOffset: offset, fromEventIndex: index });
    await running;
    const final = await store.get(job.id);
    expect(Buffer.concat([...firstPart, rest.log])).toEqual(log);
    expect(rest.indexes).toEqual(indexesFrom(index, final.events.length));

    const late = await collect(store, job.id, { fromOffset: 4_321, fromEventIndex: 3 });
    expect(late.log).toEqual(log.subarray(4_321));
    expect(late.indexes).toEqual(indexesFrom(3, final.events.length));
  });

  it('ends at once for a finished job read from its end', async ({ store }) => {
    const job = await createJob(store);
    await store.requestCancel(job.id);
    const result = await collect(store, job.id, { fromEventIndex: 2 });
    expect(result.items).toEqual([]);
  });

  it('stops when its signal aborts, while waiting for news', async ({ store }) => {
    const job = await createJob(store);
    const controller = new AbortController();
    const items: FollowItem[] = [];
    const following = (async () => {
      for await (const item of store.follow(job.id, { signal: controller.signal })) {
        items.push(item);
        if (item.kind === 'event' && item.event.event === 'dispatch') {
          controller.abort();
        }
      }
    })();
    await store.transition(job.id, 'dispatch');
    await following;
    expect(items.map((item) => (item.kind === 'event' ? item.index : -1))).toEqual([0, 1]);
  });

  it('answers JOB_NOT_FOUND for an unknown job', async ({ store }) => {
    const iterator = store.follow('job_01ARZ3NDEKTSV4RRFFQ69G5FAV');
    await expect(iterator.next()).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
  });
});

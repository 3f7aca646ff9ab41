import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bullPrefix,
  createFairQueue,
  createJobStore,
  JOBS_QUEUE,
  type JobRecord,
  type JobStore,
  parseJobSpec,
  type RunJobPayload,
  silentLogger,
  type TenantLimits,
  toStoredSpec,
} from '@clore-batch/shared';
import { type RedisHandle, startRedis, trackRedis, waitFor } from '@clore-batch/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDispatch, type Dispatch, waitNoteText } from './dispatch';

let server: RedisHandle;
let redis: Redis;
let store: JobStore;
let queue: Queue<RunJobPayload>;
let prefix: string;
let dataDir: string;
let dispatch: Dispatch | undefined;

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server.stop();
});
beforeEach(async () => {
  redis = trackRedis(new Redis(server.url, { maxRetriesPerRequest: null }));
  prefix = `test-${randomUUID()}`;
  dataDir = await mkdtemp(join(tmpdir(), 'cb-dispatch-'));
  store = createJobStore({ redis, prefix, dataDir, logTailBytes: 1024 });
  queue = new Queue<RunJobPayload>(JOBS_QUEUE, { connection: redis, prefix: bullPrefix(prefix) });
});
afterEach(async () => {
  await dispatch?.close();
  dispatch = undefined;
  await queue.obliterate({ force: true });
  await queue.close();
  await store.close();
  await redis.quit();
  await rm(dataDir, { recursive: true, force: true });
});

/** A worker's dispatch with `free` free slots and no BullMQ Worker: the pump is what is tested. */
function open(free: number, limits: TenantLimits = {}): Dispatch {
  dispatch = createDispatch({
    redis,
    prefix,
    queue,
    store,
    limits,
    logger: silentLogger(),
    settings: { parkMs: 3_600_000, pumpMs: 60_000 },
    freeSlots: () => free,
  });
  return dispatch;
}

async function queued(owner: string): Promise<JobRecord> {
  const spec = toStoredSpec(
    parseJobSpec(
      { gpu: { model: 'RTX 4090' }, image: 'ubuntu', command: 'true', maxPricePerHourUsd: 2, budgetUsd: 5 },
      { currency: 'USD-Blockchain' },
    ),
  );
  const { job } = await store.create({ spec, owner });
  await createFairQueue(redis, prefix).enter(job);
  return job;
}

const bullState = async (id: string) => (await queue.getJob(id))?.getState() ?? 'missing';

describe('the pump', () => {
  it('promotes the fairest parked job for a free slot, and only as many as there are free slots', async () => {
    const a = await queued('a');
    const b = await queued('b');
    for (const job of [a, b]) {
      await queue.add('run', { jobId: job.id }, { jobId: job.id, delay: 3_600_000 }); // parked
    }
    open(1).slotFreed();
    await waitFor(async () => (await bullState(a.id)) === 'waiting', { timeoutMs: 5_000 });
    expect(await bullState(b.id)).toBe('delayed');
  });

  it('re-adds a chosen queued job whose BullMQ job is gone, so it cannot hold its turn forever', async () => {
    const ghost = await queued('a');
    open(1).slotFreed();
    await waitFor(async () => (await bullState(ghost.id)) === 'waiting', { timeoutMs: 5_000 });
    expect((await queue.getJob(ghost.id))?.data).toEqual({ jobId: ghost.id });
  });

  it("tells a tenant's queued jobs once that they wait for its maxRunningJobs", async () => {
    const running = await queued('a');
    await store.transition(running.id, 'dispatch');
    const waiting = await queued('a');
    const note = waitNoteText({ owner: 'a', running: 1, limit: 1 });
    const notes = async () =>
      (await store.get(waiting.id)).events.filter((e) => e.type === 'info' && e.message === note);
    const d = open(2, { a: { maxRunningJobs: 1 } });
    d.slotFreed();
    await waitFor(async () => (await notes()).length === 1, { timeoutMs: 5_000 });
    d.slotFreed();
    await d.close();
    expect(await notes()).toHaveLength(1);
    expect(await bullState(waiting.id)).toBe('missing'); // at its limit: not chosen, not re-added
  });
});

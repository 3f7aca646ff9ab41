import type { JobRecord } from '@clore-batch/shared';
import { type RedisHandle, startRedis, waitFor } from '@clore-batch/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitNoteText } from '../src/worker/dispatch';
import { spawnWorker, type WorkerProcess } from './chaos/chaos-kit';
import { type Kit, startKit } from './support/e2e-kit';
import { overlaps, runningCount, span, submitAs, watchRunning } from './support/fair-kit';

let redis: RedisHandle;
let kit: Kit | undefined;
const processes: WorkerProcess[] = [];

beforeAll(async () => {
  redis = await startRedis({ private: true });
});
afterAll(async () => {
  await redis.stop();
});
afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.stop()));
  await kit?.close();
  kit = undefined;
});

const waitNote = waitNoteText({ owner: 'a', running: 1, limit: 1 });
const noted = (job: JobRecord) => job.events.some((e) => e.type === 'info' && e.message === waitNote);

describe('maxRunningJobs', () => {
  it('holds at 1 under 5 submits at once across two worker processes, while another tenant runs', async () => {
    kit = await startKit(redis.url, {
      noWorker: true,
      env: { TENANT_LIMITS: '{"a":{"maxRunningJobs":1}}', WORKER_CONCURRENCY: '3' },
    });
    const k = kit;
    processes.push(spawnWorker(k), spawnWorker(k));
    const watch = watchRunning(k, 'a');
    const jobs = await Promise.all(
      Array.from({ length: 5 }, () => submitAs(k, 'a', { command: 'sleep 0.3' })),
    );
    const other = await submitAs(k, 'b', { command: 'sleep 1' });
    const done = await Promise.all(jobs.map((job) => k.waitDone(job.id, 60_000)));
    const otherDone = await k.waitDone(other.id, 60_000);
    const most = await watch.stop();
    const why = processes.map((p) => p.output().slice(-4_000)).join('\n');
    expect(
      [...done, otherDone].map((j) => j.state),
      why,
    ).toEqual(Array(6).fill('succeeded'));
    // Redis-side: never two of a's jobs past queued at once; from the records: no two overlap.
    expect(most).toBe(1);
    for (const [i, job] of done.entries()) {
      for (const later of done.slice(i + 1)) {
        expect(overlaps(job, later), `${job.id} ${span(job)} / ${later.id} ${span(later)}`).toBe(false);
      }
    }
    // b did not wait for a's queue: it ran while a's first job ran (it started before a's second).
    const byStart = [...done].sort((x, y) => span(x)[0] - span(y)[0]);
    expect(span(otherDone)[0]).toBeLessThan(span(byStart[1] as JobRecord)[0]);
    // Every job of a that waited was told why (an info event, shown by `status`).
    expect(byStart.slice(1).filter(noted)).toHaveLength(4);
    expect(noted(byStart[0] as JobRecord)).toBe(false);
    expect(await runningCount(k, 'a')).toEqual({ live: 0, admitted: 0 });
  }, 90_000);

  it('a worker SIGKILLed mid-run does not leave the tenant counted as running', async () => {
    kit = await startKit(redis.url, {
      noWorker: true,
      env: { TENANT_LIMITS: '{"a":{"maxRunningJobs":1}}' },
    });
    const k = kit;
    const victim = spawnWorker(k);
    processes.push(victim);
    const first = await submitAs(k, 'a', { command: 'sleep 2' });
    await k.waitFor(first.id, ['running'], 30_000);
    const second = await submitAs(k, 'a', { command: 'echo after' });
    // The victim takes the second job and parks it: a is at its limit.
    await k.waitFor(second.id, noted, 10_000);
    await victim.kill();
    // Another worker resumes the first job when its lock expires, then gives a's slot to the second.
    await k.startWorker();
    const [firstDone, secondDone] = [await k.waitDone(first.id, 60_000), await k.waitDone(second.id, 60_000)];
    expect([firstDone.state, secondDone.state], victim.output().slice(-4_000)).toEqual([
      'succeeded',
      'succeeded',
    ]);
    expect(span(secondDone)[0]).toBeGreaterThanOrEqual(span(firstDone)[1]);
    expect(await runningCount(k, 'a')).toEqual({ live: 0, admitted: 0 });
  }, 90_000);
  it('holds when the record read before admission fails once (the job waits, it does not skip the limit)', async () => {
    // One failed read of a job's record (a Redis hiccup) must not let the job run unadmitted.
    const failedOnce = new Set<string>();
    kit = await startKit(redis.url, {
      env: { TENANT_LIMITS: '{"a":{"maxRunningJobs":1}}', WORKER_CONCURRENCY: '2' },
      wrapStore: (store) => ({
        ...store,
        get: async (id: string) => {
          if (!failedOnce.has(id)) {
            failedOnce.add(id);
            throw new Error("READONLY You can't write against a read only replica.");
          }
          return store.get(id);
        },
      }),
    });
    const k = kit;
    const first = await submitAs(k, 'a', { command: 'sleep 1.5' });
    await k.waitFor(first.id, ['running'], 30_000);
    const second = await submitAs(k, 'a', { command: 'echo after' });
    const [firstDone, secondDone] = [await k.waitDone(first.id, 60_000), await k.waitDone(second.id, 60_000)];
    expect([firstDone.state, secondDone.state]).toEqual(['succeeded', 'succeeded']);
    expect(failedOnce.has(second.id)).toBe(true);
    expect(overlaps(firstDone, secondDone), `${span(firstDone)} / ${span(secondDone)}`).toBe(false);
  }, 90_000);
});

describe('fair share', () => {
  it("gives the next free slot to B's single job, not to A's backlog of 30 queued jobs", async () => {
    kit = await startKit(redis.url, { env: { WORKER_CONCURRENCY: '2' } });
    const k = kit;
    const backlog: JobRecord[] = [];
    // The first two take the slots; their different lengths free one slot well before the other,
    // and well after b's submit: that slot is "the next free slot".
    const commands = ['sleep 4', 'sleep 8'];
    for (let i = 0; i < 30; i += 1) {
      backlog.push(await submitAs(k, 'a', { command: commands[i] ?? 'sleep 1' }));
    }
    // Both slots busy with a's jobs (commands running), the other 28 queued behind them.
    await waitFor(
      async () =>
        (await Promise.all(backlog.map((j) => k.store.get(j.id)))).filter((j) => j.state === 'running')
          .length === 2,
      { timeoutMs: 30_000, message: "two of a's commands running" },
    );
    const single = await submitAs(k, 'b', { command: 'echo b' });
    const started = await k.waitFor(single.id, (j) => j.startedAt !== undefined, 30_000);
    const bStart = span(started)[0];
    const before = (await Promise.all(backlog.map((j) => k.store.get(j.id)))).filter(
      (j) => j.startedAt !== undefined && Date.parse(j.startedAt) > Date.parse(single.createdAt),
    );
    // No job of a's backlog started between b's submit and b's start: b got the next free slot.
    expect(before.filter((j) => span(j)[0] < bStart).map((j) => j.id)).toEqual([]);
    // Stop the rest of the backlog (queued jobs are cancelled at once).
    await Promise.all(backlog.map((j) => k.store.requestCancel(j.id).catch(() => undefined)));
    const done = await Promise.all([...backlog, single].map((j) => k.waitDone(j.id, 60_000)));
    // The slot it got was the first to free: the long job's slot was still busy.
    expect(bStart).toBeLessThan(span(done[1] as JobRecord)[1]);
  }, 90_000);

  it('orders a tenant queue by priority, then age', async () => {
    kit = await startKit(redis.url, { env: { TENANT_LIMITS: '{"p":{"maxRunningJobs":1}}' } });
    const k = kit;
    // The blocker holds p's one slot (it is provisioning for a while) while the others queue.
    const blocker = await submitAs(k, 'p', { command: 'true' });
    await k.waitFor(blocker.id, (j) => j.startedAt !== undefined, 30_000);
    const low = await submitAs(k, 'p', { priority: 'low', command: 'true' });
    const normal = await submitAs(k, 'p', { command: 'true' });
    const high = await submitAs(k, 'p', { priority: 'high', command: 'true' });
    const done = await Promise.all([blocker, low, normal, high].map((j) => k.waitDone(j.id, 60_000)));
    expect(done.map((j) => j.state)).toEqual(Array(4).fill('succeeded'));
    const order = [...done].sort((x, y) => span(x)[0] - span(y)[0]).map((j) => j.id);
    // (Equal priorities go oldest first: packages/shared fair-queue.int.test.ts.)
    expect(order).toEqual([blocker.id, high.id, normal.id, low.id]);
  }, 90_000);
});

import { describe, expect } from 'vitest';
import { BOUND_ATTEMPT, createJob, it, rejection } from '../../test/store-fixture';
import { attemptPhaseOf } from '../state/attempt-phase';
import type { Attempt } from './job-record';
import type { JobStore } from './job-store';

const bound = BOUND_ATTEMPT;
const ready = { host: '127.0.0.1', sshPort: 2222, hostKey: 'ssh-ed25519 AAAA' };

async function dispatched(store: JobStore) {
  const job = await createJob(store, { maxAttempts: 3 });
  await store.transition(job.id, 'dispatch');
  return job.id;
}

const phase = async (store: JobStore, id: string, n = 1) =>
  attemptPhaseOf((await store.get(id)).attempts.find((a) => a.n === n) as Attempt);

describe('attempt phase writes (state/attempt-phase.ts)', () => {
  it('walk an attempt through its phases with the named writes', async ({ store }) => {
    const id = await dispatched(store);
    const { orderId: _, ...intent } = bound;
    await store.addAttempt(id, intent);
    expect(await phase(store, id)).toBe('intent');
    await store.attemptBound(id, 1, 7);
    expect(await phase(store, id)).toBe('bound');
    await store.attemptSpent(id, 1, 0.01);
    await store.attemptReady(id, 1, ready);
    expect(await phase(store, id)).toBe('ready');
    await store.attemptLogOffset(id, 1, 10);
    expect(await phase(store, id)).toBe('launched');
    await store.attemptLogOffset(id, 1, 4); // stale: keeps 10
    await store.attemptDecided(id, 1, 'completed');
    await store.attemptLogOffset(id, 1, 20); // the rest of the log after the decision
    await store.attemptDecided(id, 1, 'ssh_error'); // the first reason stays
    await store.attemptSpent(id, 1, 0.005); // never goes down
    const ended = await store.attemptEnded(id, 1, { spentUsd: 0.02, endedAt: '2026-11-24T13:00:00.000Z' });
    expect(ended.attempts[0]).toMatchObject({
      ...ready,
      orderId: 7,
      logOffset: 20,
      endReason: 'completed',
      spentUsd: 0.02,
      endedAt: '2026-11-24T13:00:00.000Z',
    });
    expect(ended.costUsd).toBe(0.02);
  });

  it('refuses illegal phase changes with JOB_INVALID_TRANSITION and writes nothing', async ({ store }) => {
    const id = await dispatched(store);
    await store.addAttempt(id, bound);
    // The write starts only after the snapshot: a promise made earlier could reject before anything
    // awaits it (an unhandled rejection) and would race the snapshot.
    const refused = async (write: () => Promise<unknown>) => {
      const before = await store.get(id);
      expect((await rejection(write())).code).toBe('JOB_INVALID_TRANSITION');
      expect(await store.get(id)).toEqual(before);
    };
    await refused(() => store.attemptLogOffset(id, 1, 5)); // bound: no command yet
    await refused(() => store.attemptEnded(id, 1, { spentUsd: 0 })); // not decided
    await refused(() => store.attemptBound(id, 1, 8)); // already bound
    await store.attemptReady(id, 1, ready);
    await refused(() => store.attemptReady(id, 1, ready)); // ready twice
    await store.attemptDecided(id, 1, 'ssh_error');
    await store.attemptEnded(id, 1, { spentUsd: 0.1 });
    await refused(() => store.attemptSpent(id, 1, 0.2));
    await refused(() => store.attemptDecided(id, 1, 'cancelled'));
    await refused(() => store.attemptEnded(id, 1, { spentUsd: 0.3 }));
    await refused(() => store.attemptLogOffset(id, 1, 30));
  });

  it('no write re-opens an ended attempt or removes one, not even update() or a transition patch', async ({
    store,
  }) => {
    const id = await dispatched(store);
    await store.addAttempt(id, bound);
    await store.attemptDecided(id, 1, 'ssh_error');
    await store.attemptEnded(id, 1, { spentUsd: 0.1 });
    const before = await store.get(id);
    const reopen = (draft: { attempts: Attempt[] }) => {
      const [first] = draft.attempts as [Attempt];
      delete first.endedAt;
    };
    expect((await rejection(store.update(id, reopen))).code).toBe('JOB_INVALID_TRANSITION');
    expect((await rejection(store.update(id, (draft) => void draft.attempts.pop()))).code).toBe(
      'JOB_INVALID_TRANSITION',
    );
    expect(
      (
        await rejection(
          store.transition(id, 'fail', {
            reason: 'ssh_error',
            patch: (current) => ({ attempts: current.attempts.map(({ endedAt: _, ...a }) => a) }),
          }),
        )
      ).code,
    ).toBe('JOB_INVALID_TRANSITION');
    expect(await store.get(id)).toEqual(before);
  });

  it('adds an attempt only as intent or bound, and only after the previous one ended', async ({ store }) => {
    const id = await dispatched(store);
    await store.addAttempt(id, bound);
    expect((await rejection(store.addAttempt(id, { ...bound, serverId: 43 }))).code).toBe(
      'JOB_INVALID_TRANSITION',
    );
    expect((await rejection(store.addAttempt(id, { ...bound, readyAt: 'x' }))).code).toBe(
      'JOB_INVALID_TRANSITION',
    );
    await store.attemptDecided(id, 1, 'provider_error');
    expect((await rejection(store.addAttempt(id, bound))).code).toBe('JOB_INVALID_TRANSITION');
    await store.attemptEnded(id, 1, { spentUsd: 0 });
    const second = await store.addAttempt(id, { ...bound, serverId: 43, orderId: 8 });
    expect(second.attempts.map((a) => a.n)).toEqual([1, 2]);
  });
});

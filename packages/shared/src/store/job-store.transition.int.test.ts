import { waitFor } from '@clore-batch/testing';
import { describe, expect } from 'vitest';
import { BOUND_ATTEMPT, createJob, it, rejection } from '../../test/store-fixture';
import type { AppError } from '../errors/app-error';
import { type Attempt, toPublicJob } from './job-record';
import { storeKeys } from './keys';
import type { LiveMessage } from './live-message';

const attempt: Omit<Attempt, 'n'> = { ...BOUND_ATTEMPT, gpuCount: 1, host: '127.0.0.1', sshPort: 2222 };

describe('transition', () => {
  it('walks the happy path, recording events, exit code, times and versions', async ({ store }) => {
    const job = await createJob(store);
    const dispatched = await store.transition(job.id, 'dispatch');
    expect(dispatched).toMatchObject({ state: 'provisioning', version: 2 });
    expect(dispatched.startedAt).toBeDefined();
    await store.addAttempt(job.id, attempt);
    await store.transition(job.id, 'provisioned', { expectedState: 'provisioning' });
    await store.transition(job.id, 'command_exited', { exitCode: 0 });
    await store.attemptDecided(job.id, 1, 'completed');
    await store.attemptEnded(job.id, 1, { spentUsd: 0.25, endedAt: '2026-11-24T12:30:00.000Z' });
    const done = await store.transition(job.id, 'succeed', {
      patch: (current) => ({
        outputs: [{ path: '/out/model.pt', size: 10 }],
        attempts: current.attempts.map((a) => ({ ...a, endReason: 'completed' as const })),
      }),
    });
    expect(done).toMatchObject({ state: 'succeeded', exitCode: 0, costUsd: 0.25 });
    expect(done.finishedAt).toBeDefined();
    expect(done.outputs).toEqual([{ path: '/out/model.pt', size: 10 }]);
    expect(done.attempts[0]?.endReason).toBe('completed');
    expect(done.events.filter((e) => e.type === 'state').map((e) => [e.from, e.event, e.to])).toEqual([
      [undefined, undefined, 'queued'],
      ['queued', 'dispatch', 'provisioning'],
      ['provisioning', 'provisioned', 'running'],
      ['running', 'command_exited', 'collecting'],
      ['collecting', 'succeed', 'succeeded'],
    ]);
    expect(done.events.find((e) => e.event === 'command_exited')).toMatchObject({
      exitCode: 0,
      message: 'the command exited with code 0',
    });
    expect(await store.get(job.id)).toEqual(done);
    expect(await store.countByState()).toMatchObject({ succeeded: 1, queued: 0, collecting: 0 });
  });

  it('fails a job whose command exited non-zero, after collecting, with the exit code kept', async ({
    store,
  }) => {
    const job = await createJob(store);
    await store.transition(job.id, 'dispatch');
    await store.transition(job.id, 'provisioned');
    await store.transition(job.id, 'command_exited', { exitCode: 3 });
    const error = await rejection(store.transition(job.id, 'succeed'));
    expect(error.code).toBe('JOB_INVALID_TRANSITION');
    const failed = await store.transition(job.id, 'fail', { reason: 'command_failed' });
    expect(failed).toMatchObject({ state: 'failed', reason: 'command_failed', exitCode: 3 });
    expect(failed.message).toBe('the job failed: the command exited with a non-zero code');
  });

  it('retries on an infrastructure reason while attempts remain, then refuses', async ({ store }) => {
    const job = await createJob(store, { maxAttempts: 2 });
    await store.transition(job.id, 'dispatch');
    await store.addAttempt(job.id, attempt);
    await store.transition(job.id, 'provisioned');
    expect((await rejection(store.transition(job.id, 'retry', { reason: 'timeout' }))).code).toBe(
      'JOB_INVALID_TRANSITION',
    );
    await store.attemptDecided(job.id, 1, 'preempted');
    await store.attemptEnded(job.id, 1, { spentUsd: 0 });
    const retried = await store.transition(job.id, 'retry', { reason: 'preempted' });
    expect(retried.state).toBe('provisioning');
    expect(retried.events.at(-1)).toMatchObject({ event: 'retry', reason: 'preempted' });
    await store.addAttempt(job.id, { ...attempt, serverId: 43 });
    expect((await store.get(job.id)).attempts.map((a) => a.n)).toEqual([1, 2]);
    const error = await rejection(store.transition(job.id, 'retry', { reason: 'ssh_error' }));
    expect(error.code).toBe('JOB_INVALID_TRANSITION');
    expect(error.message).toContain('all 2 attempts are used');
    expect((await store.transition(job.id, 'fail', { reason: 'ssh_error' })).state).toBe('failed');
  });

  it('bounds retries by maxAttempts even when no attempt was recorded', async ({ store }) => {
    const job = await createJob(store, { maxAttempts: 3 });
    await store.transition(job.id, 'dispatch');
    await store.transition(job.id, 'retry', { reason: 'provider_error' });
    await store.transition(job.id, 'retry', { reason: 'provider_error' });
    const error = await rejection(store.transition(job.id, 'retry', { reason: 'provider_error' }));
    expect(error.code).toBe('JOB_INVALID_TRANSITION');
  });

  it('requires a reason to fail and an exit code (or null) for command_exited', async ({ store }) => {
    const job = await createJob(store);
    expect((await rejection(store.transition(job.id, 'fail'))).code).toBe('JOB_INVALID_TRANSITION');
    await store.transition(job.id, 'dispatch');
    await store.transition(job.id, 'provisioned');
    expect((await rejection(store.transition(job.id, 'command_exited'))).code).toBe('JOB_INVALID_TRANSITION');
    const exited = await store.transition(job.id, 'command_exited', { exitCode: null });
    expect(exited.exitCode).toBeNull();
  });

  it('refuses illegal events with a typed error and writes nothing', async ({ store }) => {
    const job = await createJob(store);
    const error = await rejection(store.transition(job.id, 'succeed'));
    expect(error.code).toBe('JOB_INVALID_TRANSITION');
    expect(error.details).toEqual({ from: 'queued', event: 'succeed' });
    expect(await store.get(job.id)).toEqual(job);
  });

  it('lets exactly one of two concurrent transitions from the same state win', async ({ store }) => {
    for (let round = 0; round < 10; round += 1) {
      const job = await createJob(store);
      const results = await Promise.allSettled([
        store.transition(job.id, 'dispatch', { expectedState: 'queued' }),
        store.transition(job.id, 'cancel', { expectedState: 'queued' }),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(((lost[0] as PromiseRejectedResult).reason as AppError).code).toBe('JOB_STATE_CONFLICT');
      const stored = await store.get(job.id);
      expect(stored.version).toBe(2);
      expect(stored.events.filter((e) => e.type === 'state')).toHaveLength(2);
    }
    const counts = await store.countByState();
    expect(counts.provisioning + counts.cancelled).toBe(10);
    expect(counts.queued).toBe(0);
  });

  it('answers JOB_STATE_CONFLICT when the job is not in the expected state or version', async ({ store }) => {
    const job = await createJob(store);
    expect(
      (await rejection(store.transition(job.id, 'provisioned', { expectedState: 'provisioning' }))).code,
    ).toBe('JOB_STATE_CONFLICT');
    expect((await rejection(store.transition(job.id, 'dispatch', { expectedVersion: 5 }))).code).toBe(
      'JOB_STATE_CONFLICT',
    );
  });

  it('is not lost to a concurrent non-state update (recomputed, not a conflict)', async ({ store }) => {
    const job = await createJob(store);
    const [moved] = await Promise.all([
      store.transition(job.id, 'dispatch', { expectedState: 'queued' }),
      ...Array.from({ length: 10 }, (_, i) => store.addInfo(job.id, `note ${i}`)),
    ]);
    expect(moved.state).toBe('provisioning');
    const stored = await store.get(job.id);
    expect(stored.state).toBe('provisioning');
    expect(stored.events.filter((e) => e.type === 'info')).toHaveLength(10);
    expect(stored.version).toBe(12);
  });
});

describe('update', () => {
  it('applies concurrent updates without losing any', async ({ store }) => {
    const job = await createJob(store);
    await Promise.all(Array.from({ length: 25 }, (_, i) => store.addInfo(job.id, `message ${i}`)));
    const stored = await store.get(job.id);
    expect(
      stored.events
        .filter((e) => e.type === 'info')
        .map((e) => e.message)
        .sort(),
    ).toEqual(Array.from({ length: 25 }, (_, i) => `message ${i}`).sort());
    expect(stored.version).toBe(26);
  });

  it('counts provisioning failures with their info event, concurrently too; the public view drops the count', async ({
    store,
  }) => {
    const job = await createJob(store);
    await Promise.all([1, 2, 3].map((i) => store.provisionFailed(job.id, `provisioning failed ${i}`)));
    const stored = await store.get(job.id);
    expect(stored.provisionFailures).toBe(3);
    expect(stored.events.filter((e) => e.message.startsWith('provisioning failed'))).toHaveLength(3);
    expect(toPublicJob(stored)).not.toHaveProperty('provisionFailures');
  });

  it('refuses to change the state or rewrite history', async ({ store }) => {
    const job = await createJob(store);
    const error = await rejection(
      store.update(job.id, (draft) => {
        draft.state = 'running';
      }),
    );
    expect(error.code).toBe('INTERNAL');
    expect(
      (
        await rejection(
          store.update(job.id, (draft) => {
            draft.events = [];
          }),
        )
      ).code,
    ).toBe('INTERNAL');
    expect(await store.get(job.id)).toEqual(job);
  });

  it('keeps costUsd as the sum of the attempts', async ({ store }) => {
    const job = await createJob(store);
    await store.addAttempt(job.id, { ...attempt, spentUsd: 0.1 });
    await store.attemptDecided(job.id, 1, 'preempted');
    await store.attemptEnded(job.id, 1, { spentUsd: 0.1 });
    await store.addAttempt(job.id, { ...attempt, spentUsd: 0.2 });
    expect((await store.get(job.id)).costUsd).toBe(0.3);
  });
});

describe('requestCancel', () => {
  it('cancels a queued job at once', async ({ store }) => {
    const job = await createJob(store);
    const cancelled = await store.requestCancel(job.id);
    expect(cancelled).toMatchObject({
      state: 'cancelled',
      message: 'cancelled by the user before it started',
    });
    expect(cancelled.finishedAt).toBeDefined();
  });

  it('marks a running job and notifies its watchers; repeating is a no-op', async ({ store }) => {
    const job = await createJob(store);
    await store.transition(job.id, 'dispatch');
    await store.transition(job.id, 'provisioned');
    const seen: LiveMessage[] = [];
    const unsubscribe = await store.subscribe(job.id, (message) => seen.push(message));
    const requested = await store.requestCancel(job.id);
    expect(requested.state).toBe('running');
    expect(requested.cancelRequestedAt).toBeDefined();
    const again = await store.requestCancel(job.id);
    expect(again.version).toBe(requested.version);
    const note = await waitFor(() =>
      seen.find((m) => m.type === 'event' && m.job.cancelRequestedAt !== undefined),
    );
    expect(note).toMatchObject({ type: 'event', job: { state: 'running' } });
    await unsubscribe();
    const cancelled = await store.transition(job.id, 'cancel');
    expect(cancelled.state).toBe('cancelled');
  });

  it('refuses a terminal job', async ({ store }) => {
    const job = await createJob(store);
    await store.transition(job.id, 'fail', { reason: 'no_matching_server' });
    const error = await rejection(store.requestCancel(job.id));
    expect(error.code).toBe('JOB_ALREADY_TERMINAL');
  });
});

const hook = { webhookUrl: 'https://hooks.example.com/done' };

describe('the terminal-effects outbox', () => {
  it('gets one entry from the write that makes a job with a webhookUrl terminal, none before', async ({
    store,
  }) => {
    const job = await createJob(store, hook);
    await store.transition(job.id, 'dispatch');
    await store.addInfo(job.id, 'not terminal');
    expect(await store.outboxEntries()).toEqual([]);
    const failed = await store.transition(job.id, 'fail', { reason: 'internal' });
    expect(await store.outboxEntries()).toEqual([{ jobId: job.id, state: 'failed', at: failed.updatedAt }]);
    // Later writes of the terminal job (webhook deliveries) add nothing.
    await store.update(job.id, (draft) => {
      draft.webhookDeliveries.push({ at: failed.updatedAt, attempt: 1, status: 200 });
    });
    expect(await store.outboxEntries()).toHaveLength(1);
  });

  it('gets an entry from the cancel of a queued job; none for a job without a webhookUrl', async ({
    store,
  }) => {
    const plain = await createJob(store);
    await store.requestCancel(plain.id);
    const hooked = await createJob(store, hook);
    await store.requestCancel(hooked.id);
    expect((await store.outboxEntries()).map((e) => [e.jobId, e.state])).toEqual([[hooked.id, 'cancelled']]);
  });

  it('gets nothing from a terminal write that lost its compare-and-set', async ({ store }) => {
    const job = await createJob(store, hook);
    await store.transition(job.id, 'dispatch');
    await expect(
      store.transition(job.id, 'fail', { reason: 'internal', expectedState: 'queued' }),
    ).rejects.toMatchObject({ code: 'JOB_STATE_CONFLICT' });
    expect(await store.outboxEntries()).toEqual([]);
  });

  it('lists oldest first, removes by entry (idempotent), wakes watchers, and drops a malformed member', async ({
    store,
    redis,
    prefix,
  }) => {
    let woken = 0;
    const unwatch = await store.watchOutbox(() => {
      woken += 1;
    });
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const job = await createJob(store, hook);
      await store.requestCancel(job.id);
      ids.push(job.id);
    }
    await waitFor(() => woken === 3);
    await unwatch();
    await redis.zadd(storeKeys(prefix).outbox(), Date.now() + 3_600_000, 'not-an-entry');
    expect((await store.outboxEntries()).map((e) => e.jobId)).toEqual(ids);
    expect(await redis.zscore(storeKeys(prefix).outbox(), 'not-an-entry')).toBeNull();
    expect((await store.outboxEntries(2)).map((e) => e.jobId)).toEqual(ids.slice(0, 2));
    await store.outboxDone({ jobId: ids[0] as string, state: 'cancelled' });
    await store.outboxDone({ jobId: ids[0] as string, state: 'cancelled' });
    expect((await store.outboxEntries()).map((e) => e.jobId)).toEqual(ids.slice(1));
  });
});

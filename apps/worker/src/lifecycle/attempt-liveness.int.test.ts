import { describe, expect } from 'vitest';
import { storedJob, storeTest } from '../../test/support/store-fixture';
import { attemptLiveness } from './attempt-liveness';

const test = storeTest();

const attempt = (orderId: number) => ({
  serverId: 5,
  orderId,
  gpu: 'RTX 4090',
  pricePerHourUsd: 0.5,
  currency: 'USD-Blockchain' as const,
  startedAt: new Date().toISOString(),
  spentUsd: 0,
});

describe('attemptLiveness', () => {
  test('answers from the job store: open attempts and the attempt about to be ordered are live', async ({
    store,
  }) => {
    const job = await storedJob(store);
    const live = attemptLiveness(store);
    expect(await live('job_00000000000000000000000000', 1)).toBe(false);
    // queued/provisioning with no attempt yet: the intent for attempt 1 is being ordered.
    expect(await live(job.id, 1)).toBe(true);
    expect(await live(job.id, 2)).toBe(false);
    await store.transition(job.id, 'dispatch');
    await store.addAttempt(job.id, attempt(11));
    expect(await live(job.id, 1)).toBe(true);
    expect(await live(job.id, 1, 11)).toBe(true);
    expect(await live(job.id, 1, 12)).toBe(false);
    expect(await live(job.id, 2)).toBe(false); // attempt 1 is still open

    await store.attemptDecided(job.id, 1, 'provider_error');
    expect(await live(job.id, 1, 11)).toBe(true); // being released by its worker
    await store.attemptEnded(job.id, 1, { spentUsd: 0 });
    expect(await live(job.id, 1, 11)).toBe(false);
    expect(await live(job.id, 2)).toBe(true); // the next attempt may be ordering
    await store.transition(job.id, 'fail', { reason: 'provider_error' });
    expect(await live(job.id, 2)).toBe(false);
  });

  test('one attempt, two servers: the order of a lost create on server A is live while the attempt provisions, not once it is bound to server B', async ({
    store,
  }) => {
    const job = await storedJob(store);
    const live = attemptLiveness(store);
    const strayOnA = 21;
    const orderOnB = 22;
    await store.transition(job.id, 'dispatch');
    // Still provisioning (the create on B may be in flight): any order of attempt 1 may be the one
    // this try made and is slow to show up; never reaped yet.
    expect(await live(job.id, 1, strayOnA)).toBe(true);
    expect(await live(job.id, 1, orderOnB)).toBe(true);
    expect(await live(job.id, 1)).toBe(true);
    await store.addAttempt(job.id, { ...attempt(orderOnB), serverId: 6 });
    expect(await live(job.id, 1, strayOnA)).toBe(false);
    expect(await live(job.id, 1, orderOnB)).toBe(true);
    // Once the job is over, nothing of it is live.
    await store.attemptDecided(job.id, 1, 'provider_error');
    await store.attemptEnded(job.id, 1, { spentUsd: 0 });
    await store.transition(job.id, 'fail', { reason: 'provider_error' });
    expect(await live(job.id, 1, strayOnA)).toBe(false);
    expect(await live(job.id, 1, orderOnB)).toBe(false);
    expect(await live(job.id, 2)).toBe(false);
  });

  test('a job that fails while still provisioning: the stray order of its lost create is not live', async ({
    store,
  }) => {
    const job = await storedJob(store);
    const live = attemptLiveness(store);
    await store.transition(job.id, 'dispatch');
    expect(await live(job.id, 1, 31)).toBe(true);
    await store.transition(job.id, 'fail', { reason: 'no_matching_server' });
    expect(await live(job.id, 1, 31)).toBe(false);
  });
});

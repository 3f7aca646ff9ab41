import { spawnTracked, stopChild } from '@clore-batch/runtime';
import { describe, expect, it } from 'vitest';
import { assertNoLeaks, holdAcrossTests, leaksSince, snapshotResources, track } from './leak-check';

describe('leak check', () => {
  it('names a child process left running, and clears once it is stopped', async () => {
    const baseline = snapshotResources();
    const child = spawnTracked('sleep', ['30']);
    expect(leaksSince(baseline).join(' ')).toMatch(/ProcessWrap.*sleep/);
    await stopChild(child);
    await expect(assertNoLeaks(baseline, 1_000)).resolves.toBeUndefined();
  });

  it('names a tracked resource that was not closed', () => {
    const baseline = snapshotResources();
    const resource = { closed: false };
    track(resource, 'queue "q1"', (r) => r.closed);
    expect(leaksSince(baseline)).toEqual(['queue "q1" not closed']);
    resource.closed = true;
    expect(leaksSince(baseline)).toEqual([]);
  });
});

describe('holdAcrossTests', () => {
  it('does not count what a scoped fixture opened as the leak of the test that asked for it', async () => {
    const baseline = snapshotResources();
    const { value: child, release } = await holdAcrossTests(async () => spawnTracked('sleep', ['30']));
    expect(leaksSince(baseline)).toEqual([]);
    await stopChild(child);
    release();
    await expect(assertNoLeaks(baseline, 1_000)).resolves.toBeUndefined();
  });
});

describe('leak check scoping', () => {
  const early = { closed: false };
  track(early, 'opened before the test', (r) => r.closed);

  it('does not blame a test for what was opened before it', () => {
    const baseline = snapshotResources();
    expect(leaksSince(baseline)).toEqual([]);
    early.closed = true;
  });
});

import { spawnTracked, stopChild, waitFor } from '@clore-batch/runtime';
import { describe, expect, it } from 'vitest';
import {
  assertNoLeaks,
  holdAcrossTests,
  leaksSince,
  SideBySideCheck,
  snapshotResources,
  track,
} from './leak-check';

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

describe('SideBySideCheck', () => {
  it('checks a group when its last test ends, and still finds what the group left open', async () => {
    const group = new SideBySideCheck();
    group.enter();
    group.enter();
    const child = spawnTracked('sleep', ['30']);
    await group.leave(true); // one still runs: no check yet
    await expect(group.leave(true)).rejects.toThrow(/ProcessWrap.*sleep/);
    await stopChild(child);
  }, 10_000);
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

describe.concurrent('leak check of tests that run side by side', () => {
  // "long" keeps a child running past the 3 s the check of "short" waits for leaks to clear: the
  // per-test check blamed "short" for it (CI, cli-package.e2e, 2026-12-07). Checked as one group.
  let longChildAlive = false;
  let shortEnded = false;

  it('short: ends while the other still has a child running', async () => {
    await waitFor(async () => longChildAlive, { timeoutMs: 5_000, message: 'the other test to start' });
    shortEnded = true;
  });

  it('long: its child outlives the other test by more than the settle time', async () => {
    const child = spawnTracked('sleep', ['30']);
    longChildAlive = true;
    await waitFor(async () => shortEnded, { timeoutMs: 5_000, message: 'the other test to end' });
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    await stopChild(child);
  });
});

import { silentLogger } from '@clore-batch/shared';
import { waitFor } from '@clore-batch/testing';
import { describe, expect, it } from 'vitest';
import { LeaderTask } from './leader-task';

function task(overrides: Partial<ConstructorParameters<typeof LeaderTask>[0]> = {}) {
  const starts: number[] = [];
  let leader = true;
  const t = new LeaderTask({
    name: 'test',
    isLeader: () => leader,
    intervalMs: 10_000,
    minGapMs: 100,
    logger: silentLogger(),
    run: async () => {
      starts.push(Date.now());
      return undefined;
    },
    ...overrides,
  });
  const setLeader = (value: boolean) => {
    leader = value;
  };
  return { t, starts, setLeader };
}

describe('LeaderTask', () => {
  it('runs at once, then a burst of wake() calls makes ONE early round, no sooner than minGapMs', async () => {
    const { t, starts } = task();
    t.start();
    await waitFor(() => starts.length === 1);
    for (let i = 0; i < 10; i += 1) {
      t.wake();
    }
    await waitFor(() => starts.length === 2);
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(95);
    // Nothing else is due for another interval (10 s): the burst was one round. (A non-event needs a window.)
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(starts).toHaveLength(2);
    await t.stop();
  });

  it('does nothing while not the leader, and runs at once when promoted', async () => {
    const { t, starts, setLeader } = task();
    setLeader(false);
    t.start();
    t.wake();
    // A non-event needs a window: two minimum gaps in which a leader would have run.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(starts).toHaveLength(0);
    setLeader(true);
    t.promoted();
    await waitFor(() => starts.length === 1, { timeoutMs: 500 });
    await t.stop();
  });

  it('a failing round is counted and the loop goes on; stop() aborts a round in flight', async () => {
    let calls = 0;
    let sawAbort = false;
    const { t } = task({
      intervalMs: 20,
      run: async (signal) => {
        calls += 1;
        if (calls <= 2) {
          throw new Error('clore down');
        }
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
        sawAbort = signal.aborted;
        return undefined;
      },
    });
    t.start();
    await waitFor(() => calls === 3);
    expect(t.stats()).toEqual({ rounds: 3, failures: 2 });
    await t.stop();
    expect(sawAbort).toBe(true);
  });

  it('retime() brings a slow schedule forward to its delay from the last start, without an early round', async () => {
    const { t, starts } = task({
      run: async () => {
        starts.push(Date.now());
        return 10_000;
      },
    });
    t.start();
    await waitFor(() => starts.length === 1);
    t.retime(300);
    t.retime(5_000); // a later cap never pushes it back
    await waitFor(() => starts.length === 2, { timeoutMs: 2_000 });
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(295);
    // The cap applied to that one delay: the next round is 10 s away again. (A non-event needs a window.)
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(starts).toHaveLength(2);
    await t.stop();
  });
});

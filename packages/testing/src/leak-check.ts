// The child table only: this module is loaded by every test file's setup, so it stays light.
import { liveChildren } from '@clore-batch/runtime/child';

/**
 * Resources a test may not leave behind: child processes and listening servers (counted from
 * Node's own active handles), and every closeable registered with `track()`. Client TCP sockets are
 * not counted: HTTP keep-alive pools close them lazily (docs/decisions/0003-test-helpers.md).
 */
const COUNTED = ['ProcessWrap', 'TCPServerWrap'] as const;

interface Tracked {
  name: string;
  /** Order of registration: a snapshot only answers for what was tracked after it. */
  seq: number;
  isClosed(): boolean;
}

const tracked = new Set<Tracked>();
let nextSeq = 1;

/** Register a resource the test must close; `isClosed` says whether it has been. */
export function track<T>(resource: T, name: string, isClosed: (resource: T) => boolean): T {
  tracked.add({ name, seq: nextSeq++, isClosed: () => isClosed(resource) });
  return resource;
}

/** Track an ioredis client (closed once its status is `end`). */
export function trackRedis<T extends { status: string }>(client: T, name = 'redis client'): T {
  return track(client, name, (c) => c.status === 'end');
}

type Counts = Record<(typeof COUNTED)[number], number>;

export type ResourceSnapshot = Counts & { trackedSeq: number };

/** What file- and worker-scoped fixtures hold open across tests (see `holdAcrossTests`). */
const held: Counts = { ProcessWrap: 0, TCPServerWrap: 0 };

function activeCounts(): Counts {
  const counts: Counts = { ProcessWrap: 0, TCPServerWrap: 0 };
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === 'ProcessWrap' || kind === 'TCPServerWrap') {
      counts[kind] += 1;
    }
  }
  return counts;
}

/** Open resources, less what scoped fixtures hold, and the registration count of `track()`. */
export function snapshotResources(): ResourceSnapshot {
  const active = activeCounts();
  return {
    ProcessWrap: active.ProcessWrap - held.ProcessWrap,
    TCPServerWrap: active.TCPServerWrap - held.TCPServerWrap,
    trackedSeq: nextSeq - 1,
  };
}

/**
 * For a file- or worker-scoped fixture: run its `open`, and count the processes and servers it
 * opened as held (not the leak of the test that first asked for the fixture) until `release()`,
 * which its teardown calls after closing them. The file's own check still catches a teardown that
 * leaves them open: it runs after the fixture teardowns.
 */
export async function holdAcrossTests<T>(open: () => Promise<T>): Promise<{ value: T; release(): void }> {
  const before = activeCounts();
  const value = await open();
  const after = activeCounts();
  const opened: Counts = { ProcessWrap: 0, TCPServerWrap: 0 };
  for (const kind of COUNTED) {
    opened[kind] = Math.max(0, after[kind] - before[kind]);
    held[kind] += opened[kind];
  }
  let released = false;
  return {
    value,
    release() {
      if (!released) {
        released = true;
        for (const kind of COUNTED) {
          held[kind] -= opened[kind];
        }
      }
    },
  };
}

/** What is open now that was not open at `baseline`; empty when nothing leaked. */
export function leaksSince(baseline: ResourceSnapshot): string[] {
  const now = snapshotResources();
  const leaks: string[] = [];
  for (const kind of COUNTED) {
    if (now[kind] > baseline[kind]) {
      leaks.push(`${now[kind] - baseline[kind]} more ${kind} than before`);
    }
  }
  if (leaks.length > 0) {
    const children = liveChildren().map((c) => `${c.spawnfile} (pid ${c.pid})`);
    if (children.length > 0) {
      leaks.push(`live children: ${children.join(', ')}`);
    }
  }
  for (const resource of tracked) {
    if (resource.isClosed()) {
      tracked.delete(resource);
    } else if (resource.seq > baseline.trackedSeq) {
      leaks.push(`${resource.name} not closed`);
    }
  }
  return leaks;
}

/** Wait up to `settleMs` for leaks to clear (exits and closes are asynchronous), then throw. */
export async function assertNoLeaks(baseline: ResourceSnapshot, settleMs = 3_000): Promise<void> {
  const deadline = Date.now() + settleMs;
  let leaks = leaksSince(baseline);
  while (leaks.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    leaks = leaksSince(baseline);
  }
  if (leaks.length > 0) {
    throw new Error(`the test left resources open: ${leaks.join('; ')}`);
  }
}

/**
 * Tests that run side by side (`describe.concurrent`) cannot be told apart by counting handles:
 * what one still has open when another ends is not the ender's leak. So they are checked as one
 * group, from the start of the first to the end of the last of those that overlapped. A group in
 * which a test failed is not checked (its failure is the report; the file's check still runs).
 */
export class SideBySideCheck {
  private running = 0;
  private baseline: ResourceSnapshot | undefined;
  private failed = false;

  enter(): void {
    if (this.running === 0) {
      this.baseline = snapshotResources();
      this.failed = false;
    }
    this.running += 1;
  }

  /** A test of the group ended (`passed`: without throwing); the last one out checks the group. */
  async leave(passed: boolean): Promise<void> {
    this.running -= 1;
    this.failed ||= !passed;
    if (this.running === 0 && this.baseline !== undefined) {
      const baseline = this.baseline;
      this.baseline = undefined;
      if (!this.failed) {
        await assertNoLeaks(baseline);
      }
    }
  }
}

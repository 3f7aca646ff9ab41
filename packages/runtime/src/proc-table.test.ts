import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { coalesced, descendantsOf } from './proc-table';
import { waitFor } from './wait-for';

describe('coalesced', () => {
  it('shares one load among callers of the same turn, and loads afresh for later callers', async () => {
    let loads = 0;
    const load = coalesced(async () => {
      loads += 1;
      return loads;
    });
    expect(await Promise.all([load(), load(), load()])).toEqual([1, 1, 1]);
    expect(await load()).toBe(2);
  });
});

describe('descendantsOf', () => {
  it('finds children and grandchildren through the parent chain', async () => {
    const child = spawn('sh', ['-c', 'sleep 30 & sleep 30 & wait'], { stdio: 'ignore' });
    try {
      const found = await waitFor(
        async () => {
          const pids = await descendantsOf(child.pid ?? 0);
          return pids.length === 2 ? pids : undefined;
        },
        { message: 'two sleeps under sh' },
      );
      expect(found).not.toContain(child.pid);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      for (const pid of await descendantsOf(child.pid ?? 0)) {
        process.kill(pid, 'SIGKILL');
      }
      child.kill('SIGKILL');
      await exited;
    }
  });
});

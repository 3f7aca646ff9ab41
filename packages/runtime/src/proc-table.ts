import { readdir, readFile } from 'node:fs/promises';

/**
 * Run `load` for every caller that asks before the load has started (they all ask in the same
 * turn of the event loop, e.g. 100 orders ended by one close()), and afresh for later callers, so
 * nobody gets a snapshot taken before they asked.
 */
export function coalesced<T>(load: () => Promise<T>): () => Promise<T> {
  let waiting: Promise<T> | undefined;
  return () => {
    if (!waiting) {
      const next = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        waiting = undefined;
        return load();
      });
      waiting = next;
    }
    return waiting;
  };
}

async function pids(): Promise<number[]> {
  return (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
}

async function parentOf(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** pid → parent pid of every live process. */
export const readParents = coalesced(async () => {
  const parents = new Map<number, number>();
  await Promise.all(
    (await pids()).map(async (pid) => {
      const ppid = await parentOf(pid);
      if (ppid !== undefined) {
        parents.set(pid, ppid);
      }
    }),
  );
  return parents;
});

/** pid → environment (`\0`-prefixed and separated) of every live process this user may read. */
export const readEnvirons = coalesced(async () => {
  const environs = new Map<number, string>();
  await Promise.all(
    (await pids()).map(async (pid) => {
      if (pid === process.pid) {
        return;
      }
      try {
        environs.set(pid, `\0${await readFile(`/proc/${pid}/environ`, 'latin1')}`);
      } catch {
        // gone, or not ours to read
      }
    }),
  );
  return environs;
});

/** Every live process whose parent chain leads to `root` (not `root` itself). */
export async function descendantsOf(root: number): Promise<number[]> {
  const parents = await readParents();
  const found = new Set<number>([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parents) {
      if (found.has(ppid) && !found.has(pid)) {
        found.add(pid);
        grew = true;
      }
    }
  }
  found.delete(root);
  return [...found];
}

/** Pids (not this process) whose environment carries every `NAME=value` pair of `marker`. */
export async function findProcessesWithEnv(marker: Record<string, string>): Promise<number[]> {
  const wanted = Object.entries(marker).map(([name, value]) => `\0${name}=${value}\0`);
  const found: number[] = [];
  for (const [pid, environ] of await readEnvirons()) {
    if (wanted.every((pair) => environ.includes(pair))) {
      found.push(pid);
    }
  }
  return found;
}

/**
 * SIGKILL every process whose environment carries `marker`, until none is left (bounded rounds: a
 * process may fork while we scan). Finds what left its process group too (setsid, nohup, sshd's
 * per-connection sessions). Returns how many were killed.
 */
export async function killProcessesWithEnv(marker: Record<string, string>): Promise<number> {
  let killed = 0;
  for (let round = 0; round < 10; round += 1) {
    const found = await findProcessesWithEnv(marker);
    if (found.length === 0) {
      return killed;
    }
    for (const pid of found) {
      try {
        process.kill(pid, 'SIGKILL');
        killed += 1;
      } catch {
        // already gone
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return killed;
}

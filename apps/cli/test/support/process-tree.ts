import { readdirSync, readFileSync } from 'node:fs';

interface Proc {
  pid: number;
  ppid: number;
  state: string;
  command: string;
}

function readProc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses; split after the last ')'.
    const close = stat.lastIndexOf(')');
    const [state, ppid] = stat.slice(close + 2).split(' ');
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    return { pid, ppid: Number(ppid), state: state ?? '?', command };
  } catch {
    return undefined; // gone meanwhile
  }
}

function allProcs(): Proc[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => readProc(Number(name)) ?? []);
}

/** Every live descendant of `root` (children, grandchildren, ...), with its command line. */
export function descendants(root: number): Proc[] {
  const procs = allProcs();
  const found: Proc[] = [];
  let frontier = new Set([root]);
  while (frontier.size > 0) {
    const next = new Set<number>();
    for (const proc of procs) {
      if (frontier.has(proc.ppid)) {
        found.push(proc);
        next.add(proc.pid);
      }
    }
    frontier = next;
  }
  return found;
}

/** The ones of `procs` still running (a zombie waiting for init to reap it counts as gone). */
export function stillAlive(procs: Proc[]): Proc[] {
  return procs.flatMap((proc) => {
    const now = readProc(proc.pid);
    return now && now.state !== 'Z' && now.command === proc.command ? [now] : [];
  });
}

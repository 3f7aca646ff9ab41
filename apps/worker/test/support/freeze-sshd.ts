/**
 * Test-only: freeze (SIGSTOP) the processes holding the established SSH connections to a local
 * sshd port (its sessions), as a stalled server or a proxy whose backend died would: the TCP
 * connections stay open, nothing answers on them. `thawAll` resumes every process frozen so far.
 */
import { execFileSync } from 'node:child_process';

const frozen: number[] = [];

export function freezeSshSessions(port: number): number[] {
  const out = execFileSync('ss', ['-Htnp', 'state', 'established', `( sport = :${port} )`], {
    encoding: 'utf8',
  });
  const pids = [...new Set([...out.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])))];
  for (const pid of pids) {
    process.kill(pid, 'SIGSTOP');
    frozen.push(pid);
  }
  return pids;
}

export function thawAll(): void {
  for (const pid of frozen.splice(0)) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // gone
    }
  }
}

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

/** One app (api or worker) run as `node --import tsx <entry>` in its own process group. */
export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** The last lines of its log, for an error message. */
  tail(lines?: number): string;
  /** SIGTERM its process group; SIGKILL after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
}

export function startService(options: {
  name: string;
  entry: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
}): ServiceProcess {
  const fd = openSync(options.logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', options.entry], {
    cwd: options.cwd,
    env: options.env,
    // Its own group: Ctrl-C in the terminal reaches only the sandbox, which stops the apps in order.
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
    }
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  return {
    name: options.name,
    child,
    logFile: options.logFile,
    tail(lines = 30) {
      try {
        return readFileSync(options.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '';
      }
    },
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
        return;
      }
      signalGroup(child.pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(child.pid ?? 0, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      signalGroup(child.pid, 'SIGKILL'); // anything it left in its group
    },
  };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
}

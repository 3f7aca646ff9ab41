/**
 * Test-only: an OpenSSH sshd that can be stopped and started again on the same port, keeping its
 * host key (a server-side drop followed by the same server coming back) or with a new one (an
 * impostor taking the address). startSshd makes a fresh host key each time, hence this fixture.
 */
import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  canConnect,
  captureOutput,
  freePort,
  SSHD_PATH,
  spawnTracked,
  sshdConfig,
  stopChild,
  waitFor,
} from '@clore-batch/testing';

const run = promisify(execFile);

export interface RestartableSshd {
  host: '127.0.0.1';
  port: number;
  hostPublicKey(): Promise<string>;
  /** Stop sshd and kill every connection it serves; detached commands live on. */
  stop(): Promise<void>;
  /** Start again on the same port; `newHostKey` replaces the host key first. */
  start(options?: { newHostKey?: boolean }): Promise<void>;
  /** Stop and delete its files. */
  dispose(): Promise<void>;
}

export async function startRestartableSshd(options: {
  authorizedKeys: string[];
  env?: Record<string, string>;
}): Promise<RestartableSshd> {
  const dir = await mkdtemp(join(tmpdir(), 'cb-rsshd-'));
  const port = await freePort();
  const hostKey = join(dir, 'hostkey');
  await run('mkdir', ['-p', '/run/sshd']);
  await writeFile(join(dir, 'authorized_keys'), `${options.authorizedKeys.join('\n')}\n`, { mode: 0o600 });
  await writeFile(join(dir, 'sshd_config'), sshdConfig(dir, port, options.env));
  const newKey = async () => {
    await rm(hostKey, { force: true });
    await rm(`${hostKey}.pub`, { force: true });
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'sshd-host', '-f', hostKey]);
  };
  let child: ChildProcess | undefined;
  const handle: RestartableSshd = {
    host: '127.0.0.1',
    port,
    hostPublicKey: async () => (await readFile(`${hostKey}.pub`, 'utf8')).trim(),
    async stop() {
      if (child?.pid !== undefined) {
        // sshd forks each connection into its own session (setsid), so stopping the listener's
        // process group leaves established connections up: kill those processes by pid.
        for (const pid of await connectionProcesses(child.pid)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        await stopChild(child);
        child = undefined;
      }
    },
    async start(startOptions = {}) {
      if (startOptions.newHostKey) {
        await newKey();
      }
      const started = spawnTracked(SSHD_PATH, ['-D', '-e', '-f', join(dir, 'sshd_config')]);
      child = started;
      const output = captureOutput(started);
      await waitFor(() => canConnect(port), { timeoutMs: 10_000, message: `sshd on ${port}` }).catch(
        async (error: Error) => {
          await stopChild(started);
          throw new Error(`${error.message}\n${output()}`);
        },
      );
    },
    async dispose() {
      await handle.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await newKey();
  await handle.start();
  return handle;
}

/**
 * The sshd processes below `root` (Linux /proc): each connection's monitor and its session child,
 * which holds the socket too. Only sshd processes: a command started through it may still be a child.
 */
async function connectionProcesses(root: number): Promise<number[]> {
  const parents = new Map<number, { ppid: number; comm: string }>();
  for (const entry of await readdir('/proc')) {
    if (/^\d+$/.test(entry)) {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), { ppid, comm });
    }
  }
  const below = (pid: number): boolean => {
    for (
      let p = parents.get(pid)?.ppid, depth = 0;
      p !== undefined && depth < 16;
      p = parents.get(p)?.ppid, depth += 1
    ) {
      if (p === root) {
        return true;
      }
    }
    return false;
  };
  return [...parents].filter(([pid, info]) => info.comm === 'sshd' && below(pid)).map(([pid]) => pid);
}

import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { IsolationSetting } from './host-options';

const run = promisify(execFile);

/** What an order's processes get: their own `/root` and `/tmp` (mount namespace) or only their own HOME. */
export type Isolation = 'namespace' | 'home-only';

export const UNSHARE_PATH = 'unshare';

/**
 * Run `argv` in a new mount namespace where the order's home is `/root` and its tmp dir is `/tmp`.
 * `/root` is bound first: the home dir may itself live under this machine's /tmp. Mounts stay private
 * to the namespace (nothing propagates to this machine), and the namespace dies with its last process.
 */
export function namespacedArgv(home: string, tmp: string, argv: string[]): [string, string[]] {
  const script = 'mount --bind "$1" /root && mount --bind "$2" /tmp && shift 2 && cd /root && exec "$@"';
  return [
    UNSHARE_PATH,
    ['-m', '--propagation', 'private', '--', 'sh', '-c', script, 'clore-sim-order', home, tmp, ...argv],
  ];
}

let probe: Promise<boolean> | undefined;

/** Whether this machine lets us give a process its own `/root` and `/tmp` (root + `unshare -m`); probed once. */
export function namespacesWork(): Promise<boolean> {
  probe ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'clore-sim-ns-probe-'));
    try {
      await mkdir(join(dir, 'home'));
      await mkdir(join(dir, 'tmp'));
      await writeFile(join(dir, 'tmp', 'marker'), '');
      const [cmd, args] = namespacedArgv(join(dir, 'home'), join(dir, 'tmp'), ['test', '-e', '/tmp/marker']);
      await run(cmd, args, { timeout: 10_000 });
      return true;
    } catch {
      return false;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return probe;
}

/** The isolation a setting gives on this machine (`namespace` throws when the machine does not allow it). */
export async function resolveIsolation(setting: IsolationSetting): Promise<Isolation> {
  if (setting === 'none') {
    return 'home-only';
  }
  const works = await namespacesWork();
  if (setting === 'namespace' && !works) {
    throw new Error(
      'isolation "namespace" needs root and `unshare -m` (util-linux); this machine does not allow it',
    );
  }
  return works ? 'namespace' : 'home-only';
}

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { canConnect, descendantsOf, SSHD_PATH, sshdConfig, waitFor } from '@clore-batch/runtime';
import { type Isolation, namespacedArgv } from './isolation';
import { killOrderProcesses, markerEnv } from './kill-processes';

const run = promisify(execFile);
const BASE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const OUTPUT_LIMIT = 4096;

export interface OrderHostOptions {
  instanceId: string;
  orderId: number;
  port: number;
  /** The order's `ssh_key`: the only key allowed to log in (once the key is accepted). */
  authorizedKey: string | undefined;
  env: Record<string, string>;
  /** How the order is kept apart from others (resolved once per simulator, on first use). */
  isolation: () => Promise<Isolation>;
}

export interface CommandResult {
  exitCode: number | null;
  signal: string | null;
  /** Last bytes of its stdout+stderr. */
  output: string;
}

/** Where an order's files are: on this machine (`base`, `home`, `tmp`) and as its processes see them. */
interface Layout {
  isolation: Isolation;
  base: string;
  /** The order's home on this machine; `/root` inside its namespace. */
  home: string;
  /** The order's /tmp on this machine (namespace only; else the order shares this machine's /tmp). */
  tmp: string;
  /** The sshd's own files (config, host key, authorized_keys, pid) on this machine. */
  ctl: string;
  /** HOME as the order's processes see it. */
  insideHome: string;
  /** The sshd's files as the sshd (inside the namespace) sees them. */
  insideCtl: string;
}

/** OpenSSH's fingerprint of a public key line: `SHA256:` + unpadded base64 of the blob's SHA-256. */
export function fingerprintOf(publicKey: string): string | undefined {
  const blob = publicKey.trim().split(/\s+/)[1];
  if (blob === undefined) {
    return undefined;
  }
  const digest = createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}

/**
 * The "server" behind one order: a real OpenSSH sshd on 127.0.0.1:port (its own fresh host key, the
 * order's env plus the order markers in every session) and the order's startup command run with
 * `sh -c`. Not a container, but with `namespace` isolation its sessions and its command run in a
 * mount namespace of their own where `/root` and `/tmp` are the order's own directories; the rest of
 * the filesystem is this machine's. The sshd refuses the order's key until `setKeyAccepted(true)`
 * (it re-reads authorized_keys per connection).
 */
export class OrderHost {
  private layout: Promise<Layout> | undefined;
  private dir: string | undefined;
  private sshd: ChildProcess | undefined;
  private command: ChildProcess | undefined;
  private stopped = false;
  private acceptsKey = false;
  commandResult: CommandResult | undefined;
  hostPublicKey: string | undefined;
  /** The isolation this order got, once its files were laid out. */
  isolation: Isolation | undefined;
  /** The order's home and /tmp on this machine (for inspection), once laid out. */
  paths: { home: string; tmp: string | undefined } | undefined;

  constructor(private readonly options: OrderHostOptions) {}

  private listening = false;

  /** The sshd is alive and has accepted a connection (it answers). */
  get sshdRunning(): boolean {
    return this.listening && this.sshdAlive;
  }

  /** The listener's pid while it runs (for benchmarks and inspection). */
  get sshdPid(): number | undefined {
    return this.sshdAlive ? this.sshd?.pid : undefined;
  }

  /** Whether the order's key logs in (else the sshd answers "Permission denied (publickey)"). */
  get keyAccepted(): boolean {
    return this.acceptsKey;
  }

  get hostKeyFingerprint(): string | undefined {
    return this.hostPublicKey === undefined ? undefined : fingerprintOf(this.hostPublicKey);
  }

  private get sshdAlive(): boolean {
    return this.sshd !== undefined && this.sshd.exitCode === null && this.sshd.signalCode === null;
  }

  /**
   * The env of every session and of the startup command: the order's env, the markers, and HOME set
   * to the order's own home (`/root` in its namespace; a container has its own /root; it also keeps
   * this machine's ~/.bashrc out of the sessions).
   */
  private sessionEnv(layout: Layout): Record<string, string> {
    return {
      ...this.options.env,
      HOME: layout.insideHome,
      ...markerEnv(this.options.instanceId, this.options.orderId),
    };
  }

  private workDir(): Promise<Layout> {
    this.layout ??= (async () => {
      const isolation = await this.options.isolation();
      const base = await mkdtemp(join(tmpdir(), `clore-sim-order-${this.options.orderId}-`));
      this.dir = base;
      const home = join(base, 'root');
      const tmp = join(base, 'tmp');
      await mkdir(join(home, '.sshd'), { recursive: true, mode: 0o700 });
      await mkdir(tmp);
      await chmod(tmp, 0o1777);
      const insideHome = isolation === 'namespace' ? '/root' : home;
      this.isolation = isolation;
      this.paths = { home, tmp: isolation === 'namespace' ? tmp : undefined };
      return {
        isolation,
        base,
        home,
        tmp,
        ctl: join(home, '.sshd'),
        insideHome,
        insideCtl: join(insideHome, '.sshd'),
      };
    })();
    return this.layout;
  }

  /** `argv` as a spawn command for this order: in its namespace when it has one. */
  private spawnArgs(layout: Layout, argv: string[]): [string, string[]] {
    if (layout.isolation === 'namespace') {
      return namespacedArgv(layout.home, layout.tmp, argv);
    }
    return [argv[0] ?? 'false', argv.slice(1)];
  }

  private async writeAuthorizedKeys(layout: Layout): Promise<void> {
    const key = this.acceptsKey && this.options.authorizedKey ? `${this.options.authorizedKey.trim()}\n` : '';
    const file = join(layout.ctl, 'authorized_keys');
    // Atomic: a connection reads either the old or the new file, never half of one.
    await writeFile(`${file}.new`, key, { mode: 0o600 });
    await rename(`${file}.new`, file);
  }

  /** Let the order's key log in (true) or refuse it (false) from the next connection on. */
  async setKeyAccepted(accepted: boolean): Promise<void> {
    this.acceptsKey = accepted;
    if (this.layout && !this.stopped) {
      // An order that ends meanwhile has its files removed: nothing is left to write then.
      await this.writeAuthorizedKeys(await this.layout).catch((error: Error) => {
        if (!this.stopped) {
          throw error;
        }
      });
    }
  }

  /** Start the sshd (a new host key each start) and resolve once it accepts connections. */
  async startSshd(): Promise<void> {
    if (this.stopped || this.sshdAlive) {
      return;
    }
    const layout = await this.workDir();
    const dir = layout.ctl;
    await run('mkdir', ['-p', '/run/sshd']);
    await rm(join(dir, 'hostkey'), { force: true });
    await rm(join(dir, 'hostkey.pub'), { force: true });
    await run('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      `order-${this.options.orderId}`,
      '-f',
      join(dir, 'hostkey'),
    ]);
    this.hostPublicKey = (await readFile(join(dir, 'hostkey.pub'), 'utf8')).trim();
    await this.writeAuthorizedKeys(layout);
    await writeFile(
      join(dir, 'sshd_config'),
      sshdConfig(layout.insideCtl, this.options.port, this.sessionEnv(layout)),
      { mode: 0o600 },
    );
    if (this.stopped) {
      return;
    }
    const [cmd, args] = this.spawnArgs(layout, [
      SSHD_PATH,
      '-D',
      '-e',
      '-f',
      join(layout.insideCtl, 'sshd_config'),
    ]);
    // The daemon itself carries the markers too, so every session process it forks can be found.
    const child = spawn(cmd, args, {
      env: { PATH: BASE_PATH, ...markerEnv(this.options.instanceId, this.options.orderId) },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
    });
    child.once('error', () => {});
    this.sshd = child;
    await waitFor(() => !this.sshdAlive || this.stopped || canConnect(this.options.port), {
      timeoutMs: 10_000,
      message: `sshd of order ${this.options.orderId} on port ${this.options.port}`,
    });
    this.listening = this.sshdAlive;
    if (!this.sshdAlive && !this.stopped) {
      throw new Error(`sshd of order ${this.options.orderId} exited: ${stderr.trim()}`);
    }
  }

  /** Stop the sshd and drop its connections (kills its sessions); the order's other processes live on. */
  async stopSshd(): Promise<void> {
    const child = this.sshd;
    if (!child) {
      return;
    }
    if (!isRunning(child) || child.pid === undefined) {
      return;
    }
    // Sessions run in their own process groups (sshd calls setsid): freeze the listener, find its
    // descendants while the parent chain still stands, then kill them all.
    try {
      process.kill(child.pid, 'SIGSTOP');
    } catch {
      // gone
    }
    const sessions = await descendantsOf(child.pid);
    for (const pid of sessions) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await killChild(child);
  }

  /** Run the order's startup command once with `sh -c`, in the order's env (and namespace). */
  runCommand(command: string): void {
    if (this.stopped || this.command) {
      return;
    }
    void this.workDir().then((layout) => {
      if (this.stopped || this.command) {
        return;
      }
      const [cmd, args] = this.spawnArgs(layout, ['sh', '-c', command]);
      const child = spawn(cmd, args, {
        cwd: layout.home,
        env: { PATH: BASE_PATH, ...this.sessionEnv(layout) },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      this.command = child;
      let output = '';
      const add = (chunk: Buffer) => {
        output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
      };
      child.stdout?.on('data', add);
      child.stderr?.on('data', add);
      child.once('error', (error) => {
        this.commandResult = { exitCode: null, signal: null, output: error.message };
      });
      child.once('exit', (code, signal) => {
        this.commandResult = { exitCode: code, signal, output };
      });
    });
  }

  /**
   * Last resort when this process exits without close() (a crashed test): SIGKILL the sshd's and
   * the command's process groups synchronously and remove the order's files. Sessions and detached
   * commands are not reached.
   */
  killNow(): void {
    for (const child of [this.sshd, this.command]) {
      if (child && isRunning(child)) {
        try {
          process.kill(-(child.pid ?? 0), 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    if (this.dir) {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  /** The order ended: stop the sshd, kill every process of the order, remove its files. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.stopSshd();
    if (this.command) {
      await killChild(this.command);
    }
    await killOrderProcesses(this.options.instanceId, this.options.orderId);
    await this.layout?.catch(() => undefined);
    if (this.dir) {
      // A process of the order may still be writing while it dies (ENOTEMPTY): retried, then left
      // for the exit cleanup rather than failing the stop.
      await rm(this.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }).catch(
        () => undefined,
      );
    }
  }
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null && child.pid !== undefined;
}

/** SIGKILL a child's process group and wait for its exit event. */
async function killChild(child: ChildProcess): Promise<void> {
  if (!isRunning(child)) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    process.kill(-(child.pid ?? 0), 'SIGKILL');
  } catch {
    try {
      child.kill('SIGKILL');
    } catch {
      // gone
    }
  }
  await exited;
}

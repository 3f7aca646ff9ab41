import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { canConnect, descendantsOf, SSHD_PATH, sshdConfig, waitFor } from '@clore-batch/testing';
import { killOrderProcesses, markerEnv } from './kill-processes';

const run = promisify(execFile);
const BASE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const OUTPUT_LIMIT = 4096;

export interface OrderHostOptions {
  instanceId: string;
  orderId: number;
  port: number;
  /** The order's `ssh_key`: the only key allowed to log in. */
  authorizedKey: string | undefined;
  env: Record<string, string>;
}

export interface CommandResult {
  exitCode: number | null;
  signal: string | null;
  /** Last bytes of its stdout+stderr. */
  output: string;
}

/**
 * The "server" behind one order: a real OpenSSH sshd on 127.0.0.1:port (own host key, the order's
 * key as the only authorized key, the order's env plus the order markers in every session) and the
 * order's startup command run with `sh -c` in this host. Not a container: everything shares this
 * machine's filesystem.
 */
export class OrderHost {
  private dir: string | undefined;
  private sshd: ChildProcess | undefined;
  private command: ChildProcess | undefined;
  private stopped = false;
  commandResult: CommandResult | undefined;
  hostPublicKey: string | undefined;

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

  private get sshdAlive(): boolean {
    return this.sshd !== undefined && this.sshd.exitCode === null && this.sshd.signalCode === null;
  }

  /**
   * The env of every session and of the startup command: the order's env, the markers, and HOME set
   * to the order's own directory (a container has its own /root; it also keeps this machine's
   * ~/.bashrc out of the sessions).
   */
  private sessionEnv(): Record<string, string> {
    return {
      ...this.options.env,
      ...(this.dir ? { HOME: this.dir } : {}),
      ...markerEnv(this.options.instanceId, this.options.orderId),
    };
  }

  private async workDir(): Promise<string> {
    if (!this.dir) {
      this.dir = await mkdtemp(join(tmpdir(), `clore-sim-order-${this.options.orderId}-`));
    }
    return this.dir;
  }

  /** Start the sshd and resolve once it accepts connections. */
  async startSshd(): Promise<void> {
    if (this.stopped || this.sshdAlive) {
      return;
    }
    const dir = await this.workDir();
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
    const keys = this.options.authorizedKey ? `${this.options.authorizedKey.trim()}\n` : '';
    await writeFile(join(dir, 'authorized_keys'), keys, { mode: 0o600 });
    const configPath = join(dir, 'sshd_config');
    await writeFile(configPath, sshdConfig(dir, this.options.port, this.sessionEnv()), { mode: 0o600 });
    if (this.stopped) {
      return;
    }
    // The daemon itself carries the markers too, so every session process it forks can be found.
    const child = spawn(SSHD_PATH, ['-D', '-e', '-f', configPath], {
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

  /** Run the order's startup command once with `sh -c`, in the order's env. */
  runCommand(command: string): void {
    if (this.stopped || this.command) {
      return;
    }
    void this.workDir().then((dir) => {
      if (this.stopped) {
        return;
      }
      const child = spawn('sh', ['-c', command], {
        cwd: dir,
        env: { PATH: BASE_PATH, ...this.sessionEnv() },
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
   * the command's process groups synchronously. Sessions and detached commands are not reached.
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
  }

  /** The order ended: stop the sshd, kill every process of the order, remove its files. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.stopSshd();
    if (this.command) {
      await killChild(this.command);
    }
    await killOrderProcesses(this.options.instanceId, this.options.orderId);
    if (this.dir) {
      await rm(this.dir, { recursive: true, force: true });
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

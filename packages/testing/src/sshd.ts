import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { captureOutput, spawnTracked, stopChild } from './child';
import { freePort } from './free-port';
import { waitFor } from './wait-for';

const run = promisify(execFile);

export const SSHD_PATH = '/usr/sbin/sshd';

export interface KeyPair {
  /** OpenSSH private key (PEM text). */
  privateKey: string;
  /** `ssh-ed25519 AAAA... comment` */
  publicKey: string;
}

/** A throwaway ed25519 key pair made by ssh-keygen. */
export async function generateKeyPair(comment = 'clore-batch-test'): Promise<KeyPair> {
  const dir = await mkdtemp(join(tmpdir(), 'cb-key-'));
  try {
    const file = join(dir, 'key');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
    const [privateKey, publicKey] = await Promise.all([
      readFile(file, 'utf8'),
      readFile(`${file}.pub`, 'utf8'),
    ]);
    return { privateKey, publicKey: publicKey.trim() };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface StartSshdOptions {
  /** Public keys allowed to log in as root. */
  authorizedKeys: string[];
  /** Environment set in every session (sshd `SetEnv`). */
  env?: Record<string, string>;
  /** Listen on this port instead of a free one. */
  port?: number;
}

export interface SshdHandle {
  host: '127.0.0.1';
  port: number;
  /** The server's host public key (`ssh-ed25519 AAAA...`), to pin. */
  hostPublicKey: string;
  pid: number;
  /** Stop the daemon and every session it started (its whole process group). */
  stop(): Promise<void>;
}

/** Quote a value for an sshd_config token. */
function configToken(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The sshd_config that works as root on this machine (toolchain.md). */
export function sshdConfig(dir: string, port: number, env: Record<string, string> = {}): string {
  const lines = [
    'ListenAddress 127.0.0.1',
    `Port ${port}`,
    `HostKey ${join(dir, 'hostkey')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'Subsystem sftp internal-sftp',
    'LogLevel ERROR',
  ];
  const pairs = Object.entries(env).map(([key, value]) => configToken(`${key}=${value}`));
  if (pairs.length > 0) {
    lines.push(`SetEnv ${pairs.join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A real OpenSSH sshd on 127.0.0.1 with its own throwaway host key. */
export async function startSshd(options: StartSshdOptions): Promise<SshdHandle> {
  const dir = await mkdtemp(join(tmpdir(), 'cb-sshd-'));
  await run('mkdir', ['-p', '/run/sshd']);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'sshd-host', '-f', join(dir, 'hostkey')]);
  await writeFile(join(dir, 'authorized_keys'), `${options.authorizedKeys.join('\n')}\n`, { mode: 0o600 });
  const port = options.port ?? (await freePort());
  const configPath = join(dir, 'sshd_config');
  await writeFile(configPath, sshdConfig(dir, port, options.env));
  const child = spawnTracked(SSHD_PATH, ['-D', '-e', '-f', configPath]);
  const output = captureOutput(child);
  await waitFor(() => canConnect(port), {
    timeoutMs: 10_000,
    message: `sshd on port ${port} accepting connections`,
  }).catch((error: Error) => {
    void stopChild(child);
    throw new Error(`${error.message}\n${output()}`);
  });
  const hostPublicKey = (await readFile(join(dir, 'hostkey.pub'), 'utf8')).trim();
  return {
    host: '127.0.0.1',
    port,
    hostPublicKey,
    pid: child.pid ?? 0,
    async stop() {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

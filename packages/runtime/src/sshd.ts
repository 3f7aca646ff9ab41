import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { captureOutput, spawnTracked, stopChild } from './child';
import { canConnect, freePort } from './ports';
import { killProcessesWithEnv } from './proc-table';
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

/** Every session of a `startSshd` server carries this variable, so `stop()` can find them all. */
export const SSHD_MARKER = 'CB_TEST_SSHD';

export interface SshdHandle {
  host: '127.0.0.1';
  port: number;
  /** The server's host public key (`ssh-ed25519 AAAA...`), to pin. */
  hostPublicKey: string;
  pid: number;
  /** The environment variable every session of this server carries (to find its processes). */
  sessionMarker: Record<string, string>;
  /**
   * Stop the daemon and every session it started: sshd gives each connection its own session, so
   * they are found by the marker variable in their environment, not by process group.
   */
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
  const marker = { [SSHD_MARKER]: randomUUID() };
  // HOME is the server's own directory: root's shell startup files (e.g. a pyenv rehash in
  // ~/.bashrc) must not run in, or slow down, every test session.
  await writeFile(configPath, sshdConfig(dir, port, { HOME: dir, ...options.env, ...marker }));
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
    sessionMarker: marker,
    async stop() {
      await stopChild(child);
      await killProcessesWithEnv(marker);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

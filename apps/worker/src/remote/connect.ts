import ssh2 from 'ssh2';
import { hostKeyFingerprint, toFingerprint } from './host-key';
import { messageOf, sshError } from './ssh-error';
import { SshSession } from './ssh-session';

export interface ConnectOptions {
  host: string;
  port: number;
  /** The job's OpenSSH private key. Never logged, never in an error. */
  privateKey: string;
  /**
   * The host key seen on the job's first connection (`SHA256:…` fingerprint or `ssh-ed25519 AAAA…`).
   * Given, any other key is refused before authentication (`host_key_changed`).
   */
  pinnedHostKey?: string;
  /** Handshake + authentication deadline. Default 20 s. */
  readyTimeoutMs?: number;
  /** SSH keepalive interval; the connection is declared dead after 3 unanswered. Default 5 s. */
  keepaliveIntervalMs?: number;
  /** Default `root` (Clore servers log in as root). */
  username?: string;
}

/**
 * Open an SSH connection, verifying the host key. The session's `hostKey` is the fingerprint seen,
 * for the caller to persist and pin on every later connection of the job.
 */
export function connect(options: ConnectOptions): Promise<SshSession> {
  const address = `${options.host}:${options.port}`;
  const pinned = options.pinnedHostKey === undefined ? undefined : toFingerprint(options.pinnedHostKey);
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let seen: string | undefined;
    let settled = false;
    const fail = (error: Error) => {
      if (!settled) {
        settled = true;
        client.destroy();
        reject(error);
      }
    };
    client.on('error', (error) => {
      if (pinned !== undefined && seen !== undefined && seen !== pinned) {
        fail(
          sshError(
            'host_key_changed',
            `ssh ${address}: host key changed (pinned ${pinned}, server offered ${seen}); refusing to connect`,
            { details: { pinned, offered: seen } },
          ),
        );
        return;
      }
      fail(sshError('connect_failed', `ssh ${address}: ${messageOf(error)}`, { cause: error }));
    });
    client.on('close', () =>
      fail(sshError('connect_failed', `ssh ${address}: connection closed during handshake`)),
    );
    client.on('ready', () => {
      if (settled || seen === undefined) {
        fail(sshError('connect_failed', `ssh ${address}: no host key was verified`));
        return;
      }
      settled = true;
      resolve(new SshSession(client, { host: options.host, port: options.port, hostKey: seen }));
    });
    try {
      client.connect({
        host: options.host,
        port: options.port,
        username: options.username ?? 'root',
        privateKey: options.privateKey,
        readyTimeout: options.readyTimeoutMs ?? 20_000,
        keepaliveInterval: options.keepaliveIntervalMs ?? 5_000,
        keepaliveCountMax: 3,
        hostVerifier: (key: Buffer) => {
          seen = hostKeyFingerprint(key);
          return pinned === undefined || seen === pinned;
        },
      });
    } catch (error) {
      // ssh2 throws synchronously for an unparsable key; its message never holds the key itself.
      fail(sshError('invalid_key', `ssh ${address}: ${messageOf(error)}`));
    }
  });
}

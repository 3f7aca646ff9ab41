import { shellQuote } from '@clore-batch/shared';
import type { Client, ClientChannel, SFTPWrapper } from 'ssh2';
import { watchSftp } from './sftp-io';
import { messageOf, sshError } from './ssh-error';

export interface ExecOptions {
  /** Written to the command's stdin, then EOF. The way secrets reach the server: never on a command line. */
  stdin?: string | Buffer;
  /** Give up (and close the channel) after this long. Default 30 s. */
  timeoutMs?: number;
  /** Keep at most this many bytes of stdout and of stderr. Default 1 MiB. */
  maxOutputBytes?: number;
}

export interface ExecResult {
  /** The remote exit status; null when the command died of a signal. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** One authenticated SSH connection to a job's server, as root. Close it when done. */
export class SshSession {
  readonly host: string;
  readonly port: number;
  /** The server's host key fingerprint (`SHA256:…`) seen on this connection: pin it for the job. */
  readonly hostKey: string;
  readonly #client: Client;
  #sftp: Promise<SFTPWrapper> | undefined;
  #closed = false;
  readonly #closedPromise: Promise<void>;

  constructor(client: Client, info: { host: string; port: number; hostKey: string }) {
    this.#client = client;
    // Small request/answer packets (SFTP opens, stats, closes): without TCP_NODELAY, Nagle plus the
    // peer's delayed ACK cost ~40 ms per round trip (measured: 140 ms per file open/read/close).
    client.setNoDelay(true);
    this.host = info.host;
    this.port = info.port;
    this.hostKey = info.hostKey;
    this.#closedPromise = new Promise((resolve) => {
      client.once('close', () => {
        this.#closed = true;
        resolve();
      });
    });
  }

  /** `host:port`, for messages. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves when the connection has closed, for whatever reason. */
  whenClosed(): Promise<void> {
    return this.#closedPromise;
  }

  /** Run a command (through the login shell, as sshd does) and collect its output. */
  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const limit = options.maxOutputBytes ?? 1024 * 1024;
    return new Promise((resolve, reject) => {
      if (this.#closed) {
        reject(sshError('connection_lost', `ssh ${this.address}: the connection is closed`));
        return;
      }
      let channel: ClientChannel | undefined;
      const timer = setTimeout(() => {
        channel?.close();
        reject(
          sshError('timeout', `ssh ${this.address}: a remote command did not finish in ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.#client.exec(command, (error, stream) => {
        if (error) {
          clearTimeout(timer);
          reject(this.#lost('could not open a channel', error));
          return;
        }
        channel = stream;
        const stdout = boundedCollector(limit);
        const stderr = boundedCollector(limit);
        let code: number | null = null;
        let exited = false;
        stream.on('data', stdout.add);
        stream.stderr.on('data', stderr.add);
        stream.on('exit', (exitCode: number | null) => {
          exited = true;
          code = typeof exitCode === 'number' ? exitCode : null;
        });
        stream.on('error', () => {}); // the close below reports it
        stream.on('close', () => {
          clearTimeout(timer);
          if (!exited) {
            // A channel that closes without an exit status: the connection went (or is going) down.
            reject(
              sshError(
                'connection_lost',
                `ssh ${this.address}: the channel closed before the remote command ended`,
              ),
            );
            return;
          }
          resolve({ code, stdout: stdout.text(), stderr: stderr.text() });
        });
        stream.end(options.stdin ?? '');
      });
    });
  }

  /**
   * Run a POSIX sh script (`sh -c SCRIPT`), whatever the account's login shell is. The script is on
   * the server's command line: never put a secret in it (use `stdin`).
   */
  execScript(script: string, options: ExecOptions = {}): Promise<ExecResult> {
    return this.exec(`sh -c ${shellQuote(script)}`, options);
  }

  /** The connection's SFTP channel, opened once and reused. */
  sftp(): Promise<SFTPWrapper> {
    if (this.#sftp === undefined) {
      this.#sftp = new Promise<SFTPWrapper>((resolve, reject) => {
        if (this.#closed) {
          reject(sshError('connection_lost', `ssh ${this.address}: the connection is closed`));
          return;
        }
        const timer = setTimeout(() => {
          this.#sftp = undefined;
          reject(sshError('timeout', `ssh ${this.address}: SFTP did not open in 30000 ms`));
        }, 30_000);
        this.#client.sftp((error, sftp) => {
          clearTimeout(timer);
          if (error) {
            this.#sftp = undefined;
            reject(this.#lost('could not open SFTP', error));
            return;
          }
          sftp.on('error', () => {});
          watchSftp(sftp);
          sftp.once('close', () => {
            this.#sftp = undefined;
          });
          resolve(sftp);
        });
      });
    }
    return this.#sftp;
  }

  /** End the connection and wait until it is closed. Safe to call twice. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#client.end();
      // ssh2's own destroy() is a no-op once end() has half-closed the socket, and its keepalive
      // stops then: a peer that never answers (a frozen server, a proxy whose backend died) would
      // keep this waiting forever, and every caller's `finally` with it. Destroy the socket itself.
      const timer = setTimeout(() => socketOf(this.#client)?.destroy(), 2_000);
      await this.#closedPromise;
      clearTimeout(timer);
    }
  }

  /** Drop the connection abruptly (no SSH disconnect message), as a network failure would. */
  destroy(): void {
    // The socket itself: ssh2's destroy() does nothing once a close() has begun (see close).
    socketOf(this.#client)?.destroy();
  }

  #lost(what: string, cause: unknown) {
    return this.#closed
      ? sshError('connection_lost', `ssh ${this.address}: ${what}: the connection is closed`, { cause })
      : sshError('remote_error', `ssh ${this.address}: ${what}: ${messageOf(cause)}`, { cause });
  }
}

/** The client's TCP socket (ssh2 1.x keeps it in `_sock`; not part of its typed API). */
function socketOf(client: Client): { destroy(): void } | undefined {
  return (client as unknown as { _sock?: { destroy(): void } })._sock;
}

function boundedCollector(limit: number): { add: (chunk: Buffer) => void; text: () => string } {
  const parts: Buffer[] = [];
  let size = 0;
  return {
    add(chunk) {
      if (size < limit) {
        const part = chunk.subarray(0, limit - size);
        parts.push(part);
        size += part.length;
      }
    },
    text: () => Buffer.concat(parts).toString('utf8'),
  };
}

/** The seed's `connect_ssh` + `exec_command`: one SSH session, the command's output and exit code. */
import { Client } from 'ssh2';

export interface ExecResult {
  stdout: string;
  exitCode: number | null;
}

export function sshExec(
  endpoint: { host: string; port: number; user: string },
  privateKey: string,
  command: string,
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.once('error', reject);
    client.once('ready', () => {
      client.exec(command, (error, stream) => {
        if (error) {
          client.end();
          reject(error);
          return;
        }
        let stdout = '';
        stream.on('data', (chunk: Buffer) => {
          stdout += chunk.toString('utf8');
        });
        stream.stderr.resume();
        stream.once('close', (code: number | null) => {
          client.end();
          resolve({ stdout, exitCode: code });
        });
      });
    });
    client.connect({
      host: endpoint.host,
      port: endpoint.port,
      username: endpoint.user,
      privateKey,
      readyTimeout: 30_000,
    });
  });
}

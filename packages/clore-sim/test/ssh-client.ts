import { Client } from 'ssh2';

/** Test support: run one command over SSH with ssh2, as the worker would. */
export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

export function connectSsh(port: number, privateKey: string, readyTimeout = 5_000): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.once('ready', () => resolve(client));
    client.once('error', (error) => {
      client.end();
      reject(error);
    });
    client.connect({ host: '127.0.0.1', port, username: 'root', privateKey, readyTimeout });
  });
}

export function exec(client: Client, command: string): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    client.exec(command, (error, stream) => {
      if (error) {
        reject(error);
        return;
      }
      let stdout = '';
      let stderr = '';
      stream.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
      });
      stream.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
      });
      stream.once('close', (code: number | null) => resolve({ stdout, stderr, code }));
    });
  });
}

export async function sshExec(port: number, privateKey: string, command: string): Promise<ExecResult> {
  const client = await connectSsh(port, privateKey);
  try {
    return await exec(client, command);
  } finally {
    client.end();
  }
}

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canConnect } from './ports';
import { findProcessesWithEnv } from './proc-table';
import { generateKeyPair, type KeyPair, type SshdHandle, startSshd } from './sshd';
import { waitFor } from './wait-for';

function ssh(port: number, keyFile: string, command: string): Promise<{ code: number; stdout: string }> {
  const args = [
    '-i',
    keyFile,
    '-p',
    String(port),
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
  ];
  args.push('-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR', 'root@127.0.0.1', command);
  return new Promise((resolve) => {
    execFile('ssh', args, (error, stdout) => {
      const code = error ? Number((error as { code?: unknown }).code ?? 255) : 0;
      resolve({ code, stdout });
    });
  });
}

describe('startSshd', () => {
  let dir: string;
  let key: KeyPair;
  let keyFile: string;
  let sshd: SshdHandle;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cb-sshd-test-'));
    key = await generateKeyPair();
    keyFile = join(dir, 'id');
    await writeFile(keyFile, key.privateKey, { mode: 0o600 });
    sshd = await startSshd({
      authorizedKeys: [key.publicKey],
      env: { GREETING: 'hello world', QUOTED: 'a"b' },
    });
  });

  afterAll(async () => {
    await sshd.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs a command for the authorized key with the session env and returns its exit code', async () => {
    const result = await ssh(sshd.port, keyFile, 'echo "$GREETING|$QUOTED"; exit 3');
    expect(result).toEqual({ code: 3, stdout: 'hello world|a"b\n' });
    expect(sshd.hostPublicKey).toMatch(/^ssh-ed25519 /);
  });

  it('refuses a key that is not authorized', async () => {
    const other = await generateKeyPair();
    const otherFile = join(dir, 'other');
    await writeFile(otherFile, other.privateKey, { mode: 0o600 });
    const result = await ssh(sshd.port, otherFile, 'true');
    expect(result.code).toBe(255);
  });

  it('drops open sessions and their detached processes on stop(), with HOME set to its own dir', async () => {
    const third = await startSshd({ authorizedKeys: [key.publicKey] });
    const session = ssh(
      third.port,
      keyFile,
      'setsid sleep 60 </dev/null >/dev/null 2>&1 & echo "$HOME"; sleep 60',
    );
    await waitFor(async () => (await findProcessesWithEnv(third.sessionMarker)).length >= 2, {
      message: 'the session and its detached sleep are running',
    });
    await third.stop();
    expect((await session).code).not.toBe(0);
    expect(await findProcessesWithEnv(third.sessionMarker)).toEqual([]);
  });

  it('stops listening after stop()', async () => {
    const second = await startSshd({ authorizedKeys: [key.publicKey] });
    expect(await canConnect(second.port)).toBe(true);
    await second.stop();
    expect(await canConnect(second.port)).toBe(false);
  });
});

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type SshdHandle, startSshd, track } from '@clore-batch/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from './connect';
import { toFingerprint } from './host-key';
import { generateJobKeyPair, type JobKeyPair } from './job-key-pair';
import { sshErrorReason } from './ssh-error';

const run = promisify(execFile);

let keys: JobKeyPair;
let sshd: SshdHandle;
let impostor: SshdHandle;
beforeAll(async () => {
  keys = generateJobKeyPair('job-123');
  const home = { HOME: tmpdir() }; // see test/support/remote-kit.ts
  sshd = await startSshd({ authorizedKeys: [keys.publicKey], env: home });
  impostor = await startSshd({ authorizedKeys: [keys.publicKey], env: home });
});
afterAll(async () => {
  await Promise.all([sshd.stop(), impostor.stop()]);
});

const options = (server: SshdHandle, extra: { pinnedHostKey?: string; privateKey?: string } = {}) => ({
  host: server.host,
  port: server.port,
  privateKey: keys.privateKey,
  ...extra,
});

describe('generateJobKeyPair', () => {
  it('makes a fresh ed25519 pair in OpenSSH formats, the public half fit for ssh_key', async () => {
    const other = generateJobKeyPair('job-123');
    expect(keys.publicKey).toMatch(/^ssh-ed25519 AAAA[A-Za-z0-9+/]+=* job-123$/);
    expect(keys.publicKey.length).toBeLessThanOrEqual(3072);
    expect(keys.privateKey).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    expect(other.publicKey).not.toBe(keys.publicKey);
    // ssh-keygen derives the same public key from the private half.
    const dir = await mkdtemp(join(tmpdir(), 'cb-key-'));
    try {
      await writeFile(join(dir, 'k'), keys.privateKey, { mode: 0o600 });
      const { stdout } = await run('ssh-keygen', ['-y', '-f', join(dir, 'k')]);
      expect(stdout.trim().split(' ').slice(0, 2)).toEqual(keys.publicKey.split(' ').slice(0, 2));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('connect', () => {
  it('returns the host key fingerprint seen, the same as ssh-keygen -lf prints', async () => {
    const session = track(await connect(options(sshd)), 'session', (s) => s.closed);
    try {
      const dir = await mkdtemp(join(tmpdir(), 'cb-key-'));
      await writeFile(join(dir, 'host.pub'), `${sshd.hostPublicKey}\n`);
      const { stdout } = await run('ssh-keygen', ['-lf', join(dir, 'host.pub')]);
      await rm(dir, { recursive: true, force: true });
      expect(stdout.split(' ')[1]).toBe(session.hostKey);
      expect(toFingerprint(sshd.hostPublicKey)).toBe(session.hostKey);
      expect((await session.exec('echo $USER')).stdout).toBe('root\n');
    } finally {
      await session.close();
    }
  });

  it('connects when the pinned key matches, in either form', async () => {
    const first = track(await connect(options(sshd)), 'session', (s) => s.closed);
    await first.close();
    for (const pinned of [first.hostKey, sshd.hostPublicKey]) {
      const session = track(
        await connect(options(sshd, { pinnedHostKey: pinned })),
        'session',
        (s) => s.closed,
      );
      expect(session.hostKey).toBe(first.hostKey);
      await session.close();
    }
  });

  it('refuses a server whose host key changed', async () => {
    const error = await connect(options(impostor, { pinnedHostKey: sshd.hostPublicKey })).catch(
      (e: unknown) => e,
    );
    expect(sshErrorReason(error)).toBe('host_key_changed');
    expect((error as Error).message).toMatch(/host key changed .*refusing to connect/);
    expect((error as Error).message).toContain(toFingerprint(impostor.hostPublicKey));
  });

  it('fails with connect_failed for a key the server does not accept, without the key in the message', async () => {
    const stranger = generateJobKeyPair('stranger');
    const error = await connect(options(sshd, { privateKey: stranger.privateKey })).catch((e: unknown) => e);
    expect(sshErrorReason(error)).toBe('connect_failed');
    expect((error as Error).message).toContain(`${sshd.host}:${sshd.port}`);
    const body = stranger.privateKey.split('\n')[1] ?? '';
    expect(
      JSON.stringify({
        message: (error as Error).message,
        details: (error as { details?: unknown }).details,
      }),
    ).not.toContain(body.slice(0, 20));
  });

  it('fails at once with invalid_key for an unusable private key, without the key in the message', async () => {
    const garbage =
      '-----BEGIN OPENSSH PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbA==\n-----END OPENSSH PRIVATE KEY-----\n';
    const error = await connect(options(sshd, { privateKey: garbage })).catch((e: unknown) => e);
    expect(sshErrorReason(error)).toBe('invalid_key');
    expect((error as Error).message).not.toContain('bm90IGEga2V5');
  });
});

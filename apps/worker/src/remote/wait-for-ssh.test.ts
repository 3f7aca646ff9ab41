import { tmpdir } from 'node:os';
import { freePort, type SshdHandle, startSshd, track } from '@clore-batch/testing';
import { describe, expect, it } from 'vitest';
import { generateJobKeyPair } from './job-key-pair';
import { sshErrorReason } from './ssh-error';
import { waitForSsh } from './wait-for-ssh';

const keys = generateJobKeyPair('job-wait');

describe('waitForSsh', () => {
  it('connects once an sshd starts listening after the first attempts failed', async () => {
    const port = await freePort();
    let sshd: Promise<SshdHandle> | undefined;
    const retries: number[] = [];
    try {
      const session = await waitForSsh({
        host: '127.0.0.1',
        port,
        privateKey: keys.privateKey,
        deadline: Date.now() + 20_000,
        initialDelayMs: 50,
        onRetry: ({ attempt, delayMs }) => {
          retries.push(delayMs);
          if (attempt === 2) {
            sshd = startSshd({ authorizedKeys: [keys.publicKey], port, env: { HOME: tmpdir() } });
          }
        },
      });
      track(session, 'session', (s) => s.closed);
      expect(session.port).toBe(port);
      expect(retries.length).toBeGreaterThanOrEqual(2);
      expect(retries[1]).toBe(100); // backoff doubles
      await session.close();
    } finally {
      await (await sshd)?.stop();
    }
  });

  it('fails at the deadline naming host:port and the last error, not the key', async () => {
    const port = await freePort();
    const began = Date.now();
    const error = await waitForSsh({
      host: '127.0.0.1',
      port,
      privateKey: keys.privateKey,
      deadline: began + 1_000,
      initialDelayMs: 50,
      maxDelayMs: 200,
    }).catch((e: unknown) => e);
    const elapsed = Date.now() - began;
    expect(sshErrorReason(error)).toBe('connect_failed');
    expect((error as Error).message).toMatch(
      new RegExp(`127\\.0\\.0\\.1:${port} did not answer before the deadline: .*ECONNREFUSED`),
    );
    expect((error as Error).message).not.toContain('PRIVATE KEY');
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('stops at once when aborted', async () => {
    const port = await freePort();
    const controller = new AbortController();
    const reason = new Error('job cancelled');
    const pending = waitForSsh({
      host: '127.0.0.1',
      port,
      privateKey: keys.privateKey,
      deadline: Date.now() + 60_000,
      initialDelayMs: 5_000,
      signal: controller.signal,
      onRetry: () => controller.abort(reason),
    });
    await expect(pending).rejects.toBe(reason);
  });

  it('an auth refusal is "not ready yet": retried until the deadline, then auth_refused (never at once)', async () => {
    const other = generateJobKeyPair('someone-else');
    const sshd = await startSshd({ authorizedKeys: [other.publicKey], env: { HOME: tmpdir() } });
    try {
      const began = Date.now();
      let retries = 0;
      const error = await waitForSsh({
        host: '127.0.0.1',
        port: sshd.port,
        privateKey: keys.privateKey,
        deadline: began + 1_500,
        initialDelayMs: 50,
        maxDelayMs: 200,
        onRetry: () => {
          retries += 1;
        },
      }).catch((e: unknown) => e);
      expect(sshErrorReason(error)).toBe('auth_refused');
      expect((error as Error).message).toMatch(/refused the job's key until the deadline/);
      expect((error as Error).message).not.toContain('PRIVATE KEY');
      expect(retries).toBeGreaterThanOrEqual(2);
      expect(Date.now() - began).toBeGreaterThanOrEqual(1_400);
    } finally {
      await sshd.stop();
    }
  });

  it('connects once the refused key is installed (the sshd comes back with it)', async () => {
    const other = generateJobKeyPair('someone-else');
    const port = await freePort();
    let sshd = await startSshd({ authorizedKeys: [other.publicKey], port, env: { HOME: tmpdir() } });
    let swapped: Promise<void> | undefined;
    try {
      const session = await waitForSsh({
        host: '127.0.0.1',
        port,
        privateKey: keys.privateKey,
        deadline: Date.now() + 20_000,
        initialDelayMs: 50,
        maxDelayMs: 200,
        onRetry: ({ attempt }) => {
          if (attempt === 2) {
            swapped = sshd.stop().then(async () => {
              sshd = await startSshd({ authorizedKeys: [keys.publicKey], port, env: { HOME: tmpdir() } });
            });
          }
        },
      });
      track(session, 'session', (s) => s.closed);
      await session.close();
    } finally {
      await swapped;
      await sshd.stop();
    }
  });

  it('a reused host:port with a new host key: accepted without a pin (a new attempt), refused with the old pin', async () => {
    const port = await freePort();
    const first = await startSshd({ authorizedKeys: [keys.publicKey], port, env: { HOME: tmpdir() } });
    const options = { host: '127.0.0.1', port, privateKey: keys.privateKey, initialDelayMs: 50 };
    const one = await waitForSsh({ ...options, deadline: Date.now() + 10_000 });
    const pinned = one.hostKey;
    await one.close();
    await first.stop();
    const second = await startSshd({ authorizedKeys: [keys.publicKey], port, env: { HOME: tmpdir() } });
    try {
      const fresh = await waitForSsh({ ...options, deadline: Date.now() + 10_000 });
      expect(fresh.hostKey).not.toBe(pinned);
      await fresh.close();
      const error = await waitForSsh({
        ...options,
        pinnedHostKey: pinned,
        deadline: Date.now() + 10_000,
      }).catch((e: unknown) => e);
      expect(sshErrorReason(error)).toBe('host_key_changed');
    } finally {
      await second.stop();
    }
  });
});

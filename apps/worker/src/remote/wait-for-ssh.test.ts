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
});

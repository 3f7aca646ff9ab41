import { afterEach, describe, expect, it } from 'vitest';
import { freezeSshSessions, thawAll } from './support/freeze-sshd';
import { type RemoteKit, startRemoteKit } from './support/remote-kit';

let remote: RemoteKit | undefined;

afterEach(async () => {
  thawAll();
  await remote?.stop();
  remote = undefined;
});

describe('SshSession.close on a stalled server', () => {
  it('resolves within its 2 s fallback when the server no longer answers (the connection is destroyed)', async () => {
    remote = await startRemoteKit();
    const session = await remote.connect();
    expect((await session.exec('echo up')).stdout).toBe('up\n');
    expect(freezeSshSessions(remote.sshd.port).length).toBeGreaterThan(0);
    // Before the fix: ssh2's end() half-closes the socket, its destroy() is a no-op on a socket no
    // longer writable and its keepalive stops, so close() waited forever on a frozen peer, and with
    // it every caller's `finally` (removeRemote before endAttempt: the order billed unwatched).
    const started = performance.now();
    const outcome = await Promise.race([
      session.close().then(() => 'closed' as const),
      new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 10_000).unref()),
    ]);
    expect(outcome).toBe('closed');
    expect(session.closed).toBe(true);
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});

/**
 * Test-only: a real sshd that accepts a job key, connections tracked by the leak check, and unique
 * job directories under a temp root. Not imported by production code.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SshdHandle, startSshd, track } from '@clore-batch/testing';
import { connect } from '../../src/remote/connect';
import { generateJobKeyPair, type JobKeyPair } from '../../src/remote/job-key-pair';
import type { SshSession } from '../../src/remote/ssh-session';

export interface RemoteKit {
  sshd: SshdHandle;
  keys: JobKeyPair;
  /** A fresh connection (pinned to the sshd's host key), tracked: the test must close it. */
  connect(): Promise<SshSession>;
  /** A new unique job directory path (not created). */
  jobDir(): string;
  root: string;
  stop(): Promise<void>;
}

export async function startRemoteKit(): Promise<RemoteKit> {
  const keys = generateJobKeyPair('cb-test');
  const root = await mkdtemp(join(tmpdir(), 'cb-test-'));
  // HOME points at the temp root: sshd runs commands through root's login shell, and this
  // machine's /root/.bashrc (pyenv) can block; a server image's own rc files are not ours to test.
  const sshd = await startSshd({ authorizedKeys: [keys.publicKey], env: { HOME: root } });
  return {
    sshd,
    keys,
    root,
    async connect() {
      const session = await connect({
        host: sshd.host,
        port: sshd.port,
        privateKey: keys.privateKey,
        pinnedHostKey: sshd.hostPublicKey,
      });
      return track(session, `ssh session to ${session.address}`, (s) => s.closed);
    },
    jobDir: () => join(root, `job-${randomUUID()}`),
    async stop() {
      await sshd.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { track } from '@clore-batch/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connect } from './connect';
import { followCommand } from './follow-command';
import { generateJobKeyPair } from './job-key-pair';
import { type RestartableSshd, startRestartableSshd } from './restartable-sshd';
import { sshErrorReason } from './ssh-error';
import { startCommand } from './start-command';

const keys = generateJobKeyPair('job-follow');
let sshd: RestartableSshd;
let root: string;
let pinned: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cb-test-'));
  sshd = await startRestartableSshd({ authorizedKeys: [keys.publicKey], env: { HOME: root } });
});
beforeEach(async () => {
  pinned = await sshd.hostPublicKey();
});
afterAll(async () => {
  await sshd.dispose();
  await rm(root, { recursive: true, force: true });
});

const open = async () =>
  track(
    await connect({ host: sshd.host, port: sshd.port, privateKey: keys.privateKey, pinnedHostKey: pinned }),
    'session',
    (s) => s.closed,
  );

/** ~3 MB written in 30 bursts. */
const COMMAND = `i=0; while [ $i -lt 30 ]; do head -c 75000 /dev/urandom | base64 -w 1000; i=$((i+1)); sleep 0.02; done`;

async function started(jobDir: string) {
  const session = await open();
  await startCommand(session, { jobDir, command: COMMAND, timeoutSeconds: 60 });
  await session.close();
}

describe('followCommand', () => {
  it('resumes after the server drops every connection (sshd restarted, same host key)', async () => {
    const jobDir = join(root, 'job-restart');
    await started(jobDir);
    const chunks: Buffer[] = [];
    let restarted = false;
    const result = await followCommand({
      jobDir,
      pollIntervalMs: 20,
      reconnectDelayMs: 20,
      connect: open,
      onChunk: async (_offset, data) => {
        chunks.push(data);
        if (!restarted && chunks.length === 2) {
          restarted = true;
          await sshd.stop(); // kills the serving sshd processes: the server side of the connection goes
          await sshd.start();
        }
      },
    });
    const onDisk = await readFile(join(jobDir, 'output.log'));
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(result.exitCode).toBe(0);
    expect(result.reconnects).toBeGreaterThanOrEqual(1);
    expect(sha(Buffer.concat(chunks))).toBe(sha(onDisk));
  });

  it('refuses to resume against a server whose host key changed', async () => {
    const jobDir = join(root, 'job-impostor');
    await started(jobDir);
    let swapped = false;
    const error = await followCommand({
      jobDir,
      pollIntervalMs: 20,
      reconnectDelayMs: 20,
      connect: open,
      onChunk: async () => {
        if (!swapped) {
          swapped = true;
          await sshd.stop();
          await sshd.start({ newHostKey: true });
        }
      },
    }).catch((e: unknown) => e);
    expect(sshErrorReason(error)).toBe('host_key_changed');
  });
});

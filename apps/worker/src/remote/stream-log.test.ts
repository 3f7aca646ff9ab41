import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from '@clore-batch/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RemoteKit, startRemoteKit } from '../../test/support/remote-kit';
import { followCommand } from './follow-command';
import { readStatus } from './read-status';
import { sshErrorReason } from './ssh-error';
import type { SshSession } from './ssh-session';
import { startCommand } from './start-command';
import { streamLog } from './stream-log';

let kit: RemoteKit;
beforeAll(async () => {
  kit = await startRemoteKit();
});
afterAll(async () => {
  await kit.stop();
});

/** Prints 5 MB (5000 lines of 1000 random base64 chars + newline... in 50 bursts) over about a second. */
const FIVE_MB = `i=0; while [ $i -lt 50 ]; do head -c 75000 /dev/urandom | base64 -w 1000; i=$((i+1)); sleep 0.02; done`;

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Collects chunks, checking that each starts where the previous ended. */
function collector(from = 0) {
  const chunks: Buffer[] = [];
  let expected = from;
  return {
    onChunk(offset: number, data: Buffer) {
      if (offset !== expected) {
        throw new Error(`chunk at ${offset}, expected ${expected}`);
      }
      expected += data.length;
      chunks.push(data);
    },
    bytes: () => Buffer.concat(chunks),
    get offset() {
      return expected;
    },
  };
}

describe('streamLog', () => {
  it('delivers a 5 MB log written in pieces exactly, in one go', async () => {
    const session = await kit.connect();
    try {
      const jobDir = kit.jobDir();
      await startCommand(session, { jobDir, command: FIVE_MB, timeoutSeconds: 60 });
      const got = collector();
      const result = await streamLog(session, {
        jobDir,
        fromOffset: 0,
        pollIntervalMs: 20,
        onChunk: got.onChunk,
      });
      const onDisk = await readFile(join(jobDir, 'output.log'));
      expect(onDisk.length).toBeGreaterThan(5_000_000);
      expect(result).toEqual({ exitCode: 0, timedOut: false, stopped: false, endOffset: onDisk.length });
      expect(sha256(got.bytes())).toBe(sha256(onDisk));
    } finally {
      await session.close();
    }
  });

  it('resumes from the offset after connections are killed mid-stream, losing and repeating nothing', async () => {
    const jobDir = kit.jobDir();
    const starter = await kit.connect();
    await startCommand(starter, { jobDir, command: FIVE_MB, timeoutSeconds: 60 });
    await starter.close();
    let current: SshSession | undefined;
    let drops = 0;
    const killed = new Set<SshSession>();
    const got = collector();
    const result = await followCommand({
      jobDir,
      pollIntervalMs: 20,
      reconnectDelayMs: 10,
      inFlight: 4, // at most 1 MiB arrives after a kill: each kill lands in its own megabyte
      connect: async () => {
        current = await kit.connect();
        return current;
      },
      onChunk: (offset, data) => {
        got.onChunk(offset, data);
        // Kill the connection (no SSH goodbye) past 1, 2 and 3 MB, while reads are in flight. Blocks
        // that had arrived before the kill are still delivered, so kill each connection only once.
        if (
          drops < 3 &&
          got.offset > (drops + 1) * 1_000_000 &&
          current !== undefined &&
          !killed.has(current)
        ) {
          drops += 1;
          killed.add(current);
          current.destroy();
        }
      },
    });
    const onDisk = await readFile(join(jobDir, 'output.log'));
    expect(drops).toBe(3);
    expect(result.reconnects).toBe(3);
    expect(result).toMatchObject({ exitCode: 0, endOffset: onDisk.length });
    expect(sha256(got.bytes())).toBe(sha256(onDisk));
    expect(current?.closed).toBe(true);
  });

  it('resumes from a given offset with a new call', async () => {
    const session = await kit.connect();
    try {
      const jobDir = kit.jobDir();
      await startCommand(session, { jobDir, command: 'printf 0123456789', timeoutSeconds: 10 });
      const got = collector(4);
      const result = await streamLog(session, {
        jobDir,
        fromOffset: 4,
        pollIntervalMs: 20,
        onChunk: got.onChunk,
      });
      expect(got.bytes().toString()).toBe('456789');
      expect(result.endOffset).toBe(10);
    } finally {
      await session.close();
    }
  });

  it('fails with wrapper_lost when the wrapper dies without an exit code', async () => {
    const session = await kit.connect();
    try {
      const jobDir = kit.jobDir();
      await startCommand(session, { jobDir, command: 'sleep 300', timeoutSeconds: 600 });
      const status = await waitFor(async () => {
        const s = await readStatus(session, jobDir);
        return s.running && s.pgid !== undefined ? s : undefined;
      });
      const wrapperPid = Number(await readFile(join(jobDir, 'pid'), 'utf8'));
      process.kill(wrapperPid, 'SIGKILL'); // as an OOM kill or a container restart would
      process.kill(-(status.pgid ?? 0), 'SIGKILL');
      const error = await streamLog(session, {
        jobDir,
        fromOffset: 0,
        pollIntervalMs: 20,
        livenessIntervalMs: 50,
        onChunk: () => {},
      }).catch((e: unknown) => e);
      expect(sshErrorReason(error)).toBe('wrapper_lost');
      expect((await readStatus(session, jobDir)).lost).toBe(true);
    } finally {
      await session.close();
    }
  });

  it('passes an onChunk failure through unchanged and stops reading', async () => {
    const session = await kit.connect();
    try {
      const jobDir = kit.jobDir();
      await startCommand(session, { jobDir, command: 'echo hello', timeoutSeconds: 10 });
      const failure = new Error('disk full');
      const error = await streamLog(session, {
        jobDir,
        fromOffset: 0,
        pollIntervalMs: 20,
        onChunk: () => {
          throw failure;
        },
      }).catch((e: unknown) => e);
      expect(error).toBe(failure);
    } finally {
      await session.close();
    }
  });
});

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from '@clore-batch/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RemoteKit, startRemoteKit } from '../../test/support/remote-kit';
import { readStatus } from './read-status';
import type { SshSession } from './ssh-session';
import { startCommand } from './start-command';
import { stopCommand } from './stop-command';
import { streamLog } from './stream-log';

let kit: RemoteKit;
beforeAll(async () => {
  kit = await startRemoteKit();
});
afterAll(async () => {
  await kit.stop();
});

/**
 * Whether a live (not zombie) process is in the group; the "server" is this host. Zombies count as
 * dead: this sandbox's PID 1 reaps orphans lazily (toolchain.md).
 */
async function groupAlive(pgid: number): Promise<boolean> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid pgrp ...: comm may hold spaces, so parse after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') {
      return true;
    }
  }
  return false;
}

async function runningGroup(session: SshSession, jobDir: string): Promise<number> {
  // Wait for the child `sleep` too: its pid is written once the command's shell has forked it.
  await waitFor(() => readFile(join(jobDir, 'child'), 'utf8').then((t) => t.trim() !== ''), {
    message: 'child started',
  });
  const status = await readStatus(session, jobDir);
  expect(status.running).toBe(true);
  return status.pgid ?? 0;
}

describe('server-side timeout', () => {
  it('kills `sleep 30` after timeoutSeconds 1 and marks it timed out', async () => {
    const session = await kit.connect();
    try {
      const jobDir = kit.jobDir();
      const began = Date.now();
      await startCommand(session, { jobDir, command: 'sleep 30', timeoutSeconds: 1 });
      const result = await streamLog(session, {
        jobDir,
        fromOffset: 0,
        pollIntervalMs: 50,
        onChunk: () => {},
      });
      expect(result).toMatchObject({ exitCode: 143, timedOut: true, stopped: false });
      expect(Date.now() - began).toBeLessThan(8_000);
    } finally {
      await session.close();
    }
  });

  it('SIGKILLs a command that ignores SIGTERM after the grace, with its children', async () => {
    const session = await kit.connect();
    try {
      const jobDir = kit.jobDir();
      await startCommand(session, {
        jobDir,
        command: `trap '' TERM; sleep 30 & echo $! > ${jobDir}/child; wait; wait`,
        timeoutSeconds: 1,
        killGraceSeconds: 1,
      });
      const pgid = await runningGroup(session, jobDir);
      expect(await groupAlive(pgid)).toBe(true);
      const result = await streamLog(session, {
        jobDir,
        fromOffset: 0,
        pollIntervalMs: 50,
        onChunk: () => {},
      });
      expect(result).toMatchObject({ exitCode: 137, timedOut: true });
      expect(await groupAlive(pgid)).toBe(false);
    } finally {
      await session.close();
    }
  });
});

describe('stopCommand', () => {
  it('stops the whole process group, a background child too, and marks it stopped', async () => {
    const session = await kit.connect();
    try {
      const jobDir = kit.jobDir();
      await startCommand(session, {
        jobDir,
        command: `sleep 300 & echo $! > ${jobDir}/child; sleep 300`,
        timeoutSeconds: 600,
      });
      const pgid = await runningGroup(session, jobDir);
      expect(await groupAlive(pgid)).toBe(true);
      const status = await stopCommand(session, jobDir, { graceMs: 5_000 });
      expect(status).toMatchObject({ exitCode: 143, stopped: true, timedOut: false, running: false });
      expect(await groupAlive(pgid)).toBe(false);
    } finally {
      await session.close();
    }
  });

  it('SIGKILLs after the grace when the command ignores SIGTERM', async () => {
    const session = await kit.connect();
    try {
      const jobDir = kit.jobDir();
      await startCommand(session, {
        jobDir,
        command: `trap '' TERM; sleep 300 & echo $! > ${jobDir}/child; wait; wait`,
        timeoutSeconds: 600,
      });
      const pgid = await runningGroup(session, jobDir);
      expect(await groupAlive(pgid)).toBe(true);
      const began = Date.now();
      const status = await stopCommand(session, jobDir, { graceMs: 300 });
      expect(Date.now() - began).toBeGreaterThanOrEqual(300);
      expect(status).toMatchObject({ exitCode: 137, stopped: true });
      expect(await groupAlive(pgid)).toBe(false);
    } finally {
      await session.close();
    }
  });

  it('leaves a finished command as it was, and a job dir that never started', async () => {
    const session = await kit.connect();
    try {
      const jobDir = kit.jobDir();
      await startCommand(session, { jobDir, command: 'exit 5', timeoutSeconds: 10 });
      await waitFor(async () => (await readStatus(session, jobDir)).exitCode !== undefined);
      expect(await stopCommand(session, jobDir, { graceMs: 100 })).toMatchObject({ exitCode: 5 });
      expect(await stopCommand(session, kit.jobDir(), { graceMs: 100 })).toMatchObject({
        present: false,
        started: false,
      });
    } finally {
      await session.close();
    }
  });
});

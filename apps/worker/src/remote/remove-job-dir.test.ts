import { stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RemoteKit, startRemoteKit } from '../../test/support/remote-kit';
import { readStatus } from './read-status';
import { removeJobDir } from './remove-job-dir';
import { startCommand } from './start-command';
import { streamLog } from './stream-log';

let kit: RemoteKit;
beforeAll(async () => {
  kit = await startRemoteKit();
});
afterAll(async () => {
  await kit.stop();
});

describe('removeJobDir', () => {
  it('deletes a finished job dir, after which its status reads absent', async () => {
    const session = await kit.connect();
    try {
      const jobDir = kit.jobDir();
      await startCommand(session, { jobDir, command: 'echo done', timeoutSeconds: 5 });
      await streamLog(session, { jobDir, fromOffset: 0, pollIntervalMs: 20, onChunk: () => {} });
      await removeJobDir(session, jobDir);
      await expect(stat(jobDir)).rejects.toThrow(/ENOENT/);
      expect(await readStatus(session, jobDir)).toMatchObject({
        present: false,
        started: false,
        running: false,
      });
    } finally {
      await session.close();
    }
  });

  it('refuses a job dir that is not an absolute path two levels deep', async () => {
    const session = await kit.connect();
    try {
      for (const jobDir of ['/', '/root', 'relative/dir', '/a/../b', '/a/b/']) {
        await expect(removeJobDir(session, jobDir)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      }
    } finally {
      await session.close();
    }
  });
});

import { shellQuote } from '@clore-batch/shared';
import { assertJobDir } from './job-files';
import { sshError } from './ssh-error';
import type { SshSession } from './ssh-session';

/** Delete the job directory (log, markers, scripts). Call after the outputs and log are collected. */
export async function removeJobDir(session: SshSession, jobDir: string): Promise<void> {
  assertJobDir(jobDir);
  const result = await session.execScript(`rm -rf ${shellQuote(jobDir)}`, { timeoutMs: 120_000 });
  if (result.code !== 0) {
    throw sshError('remote_error', `could not remove ${jobDir}: ${result.stderr.trim()}`);
  }
}

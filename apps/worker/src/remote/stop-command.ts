import { abortableSleep, shellQuote } from '@clore-batch/shared';
import { assertJobDir } from './job-files';
import { type CommandStatus, readStatus } from './read-status';
import { sshError } from './ssh-error';
import type { SshSession } from './ssh-session';

export interface StopCommandOptions {
  /** Time between SIGTERM and SIGKILL. Default 10 s. */
  graceMs?: number;
  /** How long to wait for the wrapper to record the exit after SIGKILL. Default 10 s. */
  settleMs?: number;
  /** Status polling interval. Default 100 ms. */
  pollMs?: number;
  /** Abort the waiting (the signals already sent stay sent); rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Stop the command (a user's cancel): mark the job `stopped`, SIGTERM the command's process group,
 * SIGKILL it after the grace period, and wait for the wrapper to record the exit. Returns the final
 * status (`stopped: true`; `exitCode` 143 or 137 unless the command ended on its own first).
 */
export async function stopCommand(
  session: SshSession,
  jobDir: string,
  options: StopCommandOptions = {},
): Promise<CommandStatus> {
  assertJobDir(jobDir);
  const graceMs = options.graceMs ?? 10_000;
  const settleMs = options.settleMs ?? 10_000;
  const pollMs = options.pollMs ?? 100;
  const signalGroup = async (signal: 'TERM' | 'KILL'): Promise<string> => {
    const result =
      await session.execScript(`cd ${shellQuote(jobDir)} 2>/dev/null || { echo cb:absent; exit 0; }
: > stopped
if [ -f exit_code ]; then echo cb:ended; exit 0; fi
if [ -s pgid ]; then kill -${signal} -$(cat pgid) 2>/dev/null; echo cb:signalled; else echo cb:waiting; fi`);
    if (result.code !== 0) {
      throw sshError('remote_error', `could not signal the command in ${jobDir}: ${result.stderr.trim()}`);
    }
    const line = result.stdout.split('\n').find((l) => l.startsWith('cb:'));
    return line?.slice(3) ?? 'unknown';
  };

  let state = await signalGroup('TERM');
  if (state === 'absent') {
    return readStatus(session, jobDir);
  }
  const finished = (s: CommandStatus) => s.exitCode !== undefined || s.lost || !s.started;
  const graceEnd = Date.now() + graceMs;
  let status = await readStatus(session, jobDir);
  while (!finished(status) && Date.now() < graceEnd) {
    await abortableSleep(pollMs, options.signal);
    if (state === 'waiting') {
      state = await signalGroup('TERM'); // the command had not recorded its group yet
    }
    status = await readStatus(session, jobDir);
  }
  if (finished(status) && !status.lost) {
    return status;
  }
  await signalGroup('KILL');
  const settleEnd = Date.now() + settleMs;
  status = await readStatus(session, jobDir);
  while (!finished(status) && Date.now() < settleEnd) {
    await abortableSleep(pollMs, options.signal);
    status = await readStatus(session, jobDir);
  }
  return status;
}

import { shellQuote } from '@clore-batch/shared';
import { assertJobDir, jobFile } from './job-files';
import { sshError } from './ssh-error';
import type { SshSession } from './ssh-session';

export interface CommandStatus {
  /** The job directory exists. */
  present: boolean;
  /** A start was claimed (startCommand ran). */
  started: boolean;
  /** The wrapper process is alive (checked by pid and its command line). */
  running: boolean;
  /** The command's exit status, once it ended (128+N when killed by signal N). */
  exitCode?: number;
  /** The server-side timeout fired. */
  timedOut: boolean;
  /** stopCommand asked it to stop. */
  stopped: boolean;
  /** The wrapper died without writing an exit code (container restart, OOM kill of the wrapper, ...). */
  lost: boolean;
  /** Bytes in output.log. */
  logSize: number;
  pgid?: number;
}

/** The job directory's state, in one round trip. */
export async function readStatus(session: SshSession, jobDir: string): Promise<CommandStatus> {
  assertJobDir(jobDir);
  const wrapper = shellQuote(jobFile(jobDir, 'wrapper'));
  const script = `cd ${shellQuote(jobDir)} 2>/dev/null || { echo present=0; exit 0; }
echo present=1
[ -d launched ] && echo started=1
if [ -f pid ]; then
  echo has_pid=1
  __p=$(cat pid)
  if [ -n "$__p" ] && kill -0 "$__p" 2>/dev/null; then
    if [ ! -r /proc/$__p/cmdline ] || tr '\\000' '\\n' < /proc/$__p/cmdline | grep -qxF ${wrapper}; then echo running=1; fi
  fi
fi
[ -f exit_code ] && echo "exit_code=$(cat exit_code)"
[ -e timed_out ] && echo timed_out=1
[ -e stopped ] && echo stopped=1
[ -f pgid ] && echo "pgid=$(cat pgid)"
[ -f output.log ] && echo "log_size=$(wc -c < output.log)"
exit 0`;
  const result = await session.execScript(script);
  if (result.code !== 0) {
    throw sshError('remote_error', `could not read the status of ${jobDir}: ${result.stderr.trim()}`);
  }
  const fields = new Map<string, string>();
  for (const line of result.stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) {
      fields.set(line.slice(0, eq), line.slice(eq + 1).trim());
    }
  }
  const int = (name: string) => {
    const text = fields.get(name);
    return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
  };
  const started = fields.get('started') === '1';
  const running = fields.get('running') === '1';
  const exitCode = int('exit_code');
  const status: CommandStatus = {
    present: fields.get('present') === '1',
    started,
    running,
    timedOut: fields.get('timed_out') === '1',
    stopped: fields.get('stopped') === '1',
    lost: started && !running && exitCode === undefined && fields.get('has_pid') === '1',
    logSize: int('log_size') ?? 0,
  };
  if (exitCode !== undefined) {
    status.exitCode = exitCode;
  }
  const pgid = int('pgid');
  if (pgid !== undefined) {
    status.pgid = pgid;
  }
  return status;
}

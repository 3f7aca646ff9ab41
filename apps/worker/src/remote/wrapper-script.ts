import { shellQuote } from '@clore-batch/shared';
import { jobFile } from './job-files';

export interface WrapperOptions {
  jobDir: string;
  command: string;
  timeoutSeconds: number;
  /** Seconds between SIGTERM and SIGKILL when the timeout fires. */
  killGraceSeconds: number;
  /** The command's working directory; undefined: the image's WORKDIR (PID 1's cwd), else $HOME. */
  workDir?: string;
}

/**
 * The supervisor, run detached in its own session. It starts `run.sh` in a new session (so the
 * command has its own process group, apart from the wrapper), arms a watchdog that TERMs then KILLs
 * that group when the timeout passes (the server enforces the timeout even if no worker is alive),
 * waits, kills whatever the command left behind, and writes the exit status atomically.
 * Everything is POSIX sh plus setsid, kill, sleep, mv, rm, cat.
 */
export function wrapperScript(options: WrapperOptions): string {
  const q = (name: Parameters<typeof jobFile>[1]) => shellQuote(jobFile(options.jobDir, name));
  const exitTmp = shellQuote(`${jobFile(options.jobDir, 'exitCode')}.tmp`);
  return `#!/bin/sh
# clore-batch job wrapper (generated; see apps/worker/src/remote/README.md)
cd ${shellQuote(options.jobDir)} || exit 97
echo $$ > pid.tmp && mv -f pid.tmp ${q('pid')}
if [ -e ${q('stopped')} ]; then
  rm -f ${q('env')}
  echo 143 > ${exitTmp} && mv -f ${exitTmp} ${q('exitCode')}
  exit 0
fi
setsid sh ${q('run')} </dev/null >>${q('log')} 2>&1 &
__cb_pgid=$!
(
  trap 'kill $__cb_sleep 2>/dev/null; exit 0' TERM
  sleep ${options.timeoutSeconds} &
  __cb_sleep=$!
  wait $__cb_sleep
  : > ${q('timedOut')}
  kill -TERM -$__cb_pgid 2>/dev/null
  sleep ${options.killGraceSeconds} &
  __cb_sleep=$!
  wait $__cb_sleep
  kill -KILL -$__cb_pgid 2>/dev/null
) </dev/null >/dev/null 2>&1 &
__cb_watchdog=$!
wait $__cb_pgid
__cb_code=$?
kill $__cb_watchdog 2>/dev/null
kill -KILL -$__cb_pgid 2>/dev/null
rm -f ${q('env')}
echo $__cb_code > ${exitTmp} && mv -f ${exitTmp} ${q('exitCode')}
`;
}

/**
 * Runs as the leader of the command's new session: records the process group, moves to the working
 * directory, loads the environment (whose file deletes itself first) and becomes `sh -c COMMAND`.
 */
export function runScript(options: WrapperOptions): string {
  const cd =
    options.workDir === undefined
      ? `__cb_wd=$(readlink /proc/1/cwd 2>/dev/null) && cd "$__cb_wd" 2>/dev/null || cd "$HOME" 2>/dev/null || cd /`
      : `mkdir -p ${shellQuote(options.workDir)} && cd ${shellQuote(options.workDir)} || exit 96`;
  const pgid = jobFile(options.jobDir, 'pgid');
  return `#!/bin/sh
# clore-batch job runner (generated; see apps/worker/src/remote/README.md)
echo $$ > ${shellQuote(`${pgid}.tmp`)} && mv -f ${shellQuote(`${pgid}.tmp`)} ${shellQuote(pgid)}
${cd}
unset __cb_wd
if [ -f ${shellQuote(jobFile(options.jobDir, 'env'))} ]; then . ${shellQuote(jobFile(options.jobDir, 'env'))}; fi
exec sh -c ${shellQuote(options.command)}
`;
}

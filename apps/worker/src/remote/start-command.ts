import { randomUUID } from 'node:crypto';
import { AppError, shellQuote } from '@clore-batch/shared';
import { assertJobDir, jobFile } from './job-files';
import { sftpWriteFile } from './sftp-io';
import { envFileContent } from './shell-quote';
import { sshError } from './ssh-error';
import type { SshSession } from './ssh-session';
import { runScript, wrapperScript } from './wrapper-script';

/** The env file's last line; its presence proves the whole file arrived. */
const ENV_END = '# clore-batch env end';

export interface StartCommandOptions {
  /** Absolute per-job directory on the server, e.g. `/root/.clore-batch/<jobId>`. Created (mode 700). */
  jobDir: string;
  /** The user's command, run as `sh -c COMMAND`. */
  command: string;
  /** env and the opened secretEnv, merged. Passed over stdin, never on a command line. */
  env?: Readonly<Record<string, string>>;
  /** Enforced on the server: TERM the command's process group, then KILL after `killGraceSeconds`. */
  timeoutSeconds: number;
  /** Default 10. */
  killGraceSeconds?: number;
  /** The command's working directory (created). Default: the image's WORKDIR if readable, else $HOME. */
  workDir?: string;
}

export interface StartCommandResult {
  /** True when this call launched the command; false when it had been launched before (crash recovery). */
  launched: boolean;
}

/**
 * Launch the command detached under the wrapper, once: a job directory whose start was claimed
 * before is left alone (whether the command runs or ended), so crash recovery may call this again.
 */
export async function startCommand(
  session: SshSession,
  options: StartCommandOptions,
): Promise<StartCommandResult> {
  const { jobDir } = options;
  assertJobDir(jobDir);
  if (!Number.isInteger(options.timeoutSeconds) || options.timeoutSeconds < 1) {
    throw new AppError(
      'VALIDATION_FAILED',
      `timeoutSeconds must be a whole number ≥ 1, got ${options.timeoutSeconds}`,
    );
  }
  const killGraceSeconds = options.killGraceSeconds ?? 10;
  const env = envFileContent(jobFile(jobDir, 'env'), options.env ?? {});
  const dir = shellQuote(jobDir);

  const prepared = await session.execScript(
    `umask 077; mkdir -p ${dir} && chmod 700 ${dir} && if [ -d ${dir}/launched ]; then echo cb:already; else echo cb:fresh; fi`,
  );
  if (prepared.code !== 0) {
    throw sshError('remote_error', `could not create job dir ${jobDir}: ${prepared.stderr.trim()}`);
  }
  if (prepared.stdout.split('\n').includes('cb:already')) {
    return { launched: false };
  }

  // Scripts go over SFTP under unique names (no size limit, no secrets); the start claim below
  // renames them in place, so two racing starts cannot mix their files.
  const nonce = randomUUID();
  const script = { ...options, killGraceSeconds };
  const sftp = await session.sftp();
  await sftpWriteFile(sftp, `${jobFile(jobDir, 'wrapper')}.${nonce}`, wrapperScript(script));
  await sftpWriteFile(sftp, `${jobFile(jobDir, 'run')}.${nonce}`, runScript(script));

  const launch = launchScript(jobDir, nonce);
  const result = await session.execScript(launch, { stdin: `${env}${ENV_END}\n` });
  if (result.code !== 0) {
    throw sshError(
      'remote_error',
      `could not launch the command in ${jobDir} (status ${result.code}): ${result.stderr.trim()}`,
    );
  }
  return { launched: result.stdout.split('\n').includes('cb:launched') };
}

/**
 * The launch: claim the start (atomic mkdir), put the scripts in place, write the env from stdin,
 * start the wrapper detached. The env ends with ENV_END: a connection lost mid-transfer leaves a
 * short file, which must not start the command with half its environment; the claim is then
 * released so that a retry can start it.
 */
export function launchScript(jobDir: string, nonce: string): string {
  return `umask 077
cd ${shellQuote(jobDir)} || exit 90
if mkdir launched 2>/dev/null; then
  if ! mv -f wrapper.sh.${nonce} wrapper.sh || ! mv -f run.sh.${nonce} run.sh; then rmdir launched; exit 91; fi
  cat > env
  if ! grep -qx ${shellQuote(ENV_END)} env; then rm -f env wrapper.sh run.sh; rmdir launched; exit 92; fi
  setsid sh ${shellQuote(jobFile(jobDir, 'wrapper'))} </dev/null >/dev/null 2>&1 &
  echo $! > pid.tmp && mv -f pid.tmp pid
  echo cb:launched
else
  rm -f wrapper.sh.${nonce} run.sh.${nonce}
  cat > /dev/null
  echo cb:already
fi`;
}

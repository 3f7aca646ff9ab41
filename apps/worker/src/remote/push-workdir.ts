import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { AppError, shellQuote } from '@clore-batch/shared';
import { assertJobDir, JOB_FILES, jobFile } from './job-files';
import { sftpPutFile } from './sftp-io';
import { sshError } from './ssh-error';
import type { SshSession } from './ssh-session';

export interface PushWorkdirOptions {
  /** The job dir on the server (as for startCommand). */
  jobDir: string;
  /** The tar.gz on this machine. */
  tarball: string;
}

export interface PushWorkdirResult {
  /** `<jobDir>/workdir`: where the command is to run. */
  workDir: string;
  /** False when an earlier call had unpacked it (or the command was launched): nothing was done. */
  unpacked: boolean;
}

/**
 * Put a tar.gz's tree at `<jobDir>/workdir` on the server, once (docs/decisions/0137): the tarball
 * goes over SFTP under a unique name, is unpacked (`tar -xzf`) into a fresh directory that is then
 * renamed into place, and only then is the `workdir.done` marker written. A job dir with the marker,
 * or whose command was launched, is left alone: a resumed job never unpacks again into the
 * directory a running command works in. A half transfer or a failed unpack leaves no marker and
 * nothing in place, so the next try starts over.
 */
export async function pushWorkdir(
  session: SshSession,
  options: PushWorkdirOptions,
): Promise<PushWorkdirResult> {
  const { jobDir } = options;
  assertJobDir(jobDir);
  const workDir = jobFile(jobDir, 'workdir');
  const dir = shellQuote(jobDir);
  const prepared = await session.execScript(
    `umask 077; mkdir -p ${dir} && chmod 700 ${dir} && cd ${dir} && if ${doneTest}; then echo cb:done; else echo cb:fresh; fi`,
  );
  if (prepared.code !== 0) {
    throw sshError('remote_error', `could not create job dir ${jobDir}: ${prepared.stderr.trim()}`);
  }
  if (prepared.stdout.split('\n').includes('cb:done')) {
    return { workDir, unpacked: false };
  }
  const size = await sizeOf(options.tarball);
  const nonce = randomUUID();
  const sftp = await session.sftp();
  await sftpPutFile(sftp, options.tarball, `${jobDir}/workdir.tar.gz.${nonce}`);
  const result = await session.execScript(unpackScript(jobDir, nonce, size));
  if (result.code !== 0) {
    throw sshError(
      'remote_error',
      `could not unpack the workdir in ${jobDir} (status ${result.code}): ${result.stderr.trim().slice(0, 500)}`,
    );
  }
  return { workDir, unpacked: result.stdout.split('\n').includes('cb:unpacked') };
}

/** True in the job dir when the workdir is in place or the command was launched. */
const doneTest = `[ -f ${JOB_FILES.workdirDone} ] || [ -d ${JOB_FILES.launched} ]`;

/**
 * Check the copy's size, unpack into `workdir.tmp.<nonce>`, rename it to `workdir`, then the marker.
 * Runs in the job dir; the tarball and the temp dir are removed whatever happens.
 */
export function unpackScript(jobDir: string, nonce: string, size: number): string {
  const tarball = `workdir.tar.gz.${nonce}`;
  const temp = `workdir.tmp.${nonce}`;
  return `umask 077
cd ${shellQuote(jobDir)} || exit 90
trap 'rm -rf ${tarball} ${temp}' EXIT
if ${doneTest}; then echo cb:done; exit 0; fi
__cb_size=$(wc -c < ${tarball} | tr -d ' ')
if [ "$__cb_size" != ${size} ]; then echo "the copy has $__cb_size bytes, not ${size}" >&2; exit 93; fi
mkdir ${temp} || exit 94
tar -xzf ${tarball} -C ${temp} --no-same-owner || exit 95
rm -rf ${JOB_FILES.workdir} && mv ${temp} ${JOB_FILES.workdir} && : > ${JOB_FILES.workdirDone} || exit 96
echo cb:unpacked`;
}

async function sizeOf(tarball: string): Promise<number> {
  try {
    return (await stat(tarball)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new AppError(
        'UPLOAD_NOT_FOUND',
        'the workdir upload is gone (expired or deleted): upload it again',
      );
    }
    throw error;
  }
}

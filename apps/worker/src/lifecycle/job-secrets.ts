import { AppError, openJson, sealJson } from '@clore-batch/shared';
import ssh2 from 'ssh2';
import { generateJobKeyPair, type JobKeyPair } from '../remote/job-key-pair';
import type { LifecycleDeps } from './deps';

// ssh2 is CommonJS: under plain Node ESM (node --import tsx, the Dockerfile) it has no named exports.
const { utils } = ssh2;
const KEY_PAIR = 'sshKeyPair';

/**
 * The job's SSH key pair: made once per job (on its first attempt), kept sealed with SECRETS_KEY so
 * that another worker can resume the job; never stored or logged in clear.
 */
export async function jobKeyPair(deps: LifecycleDeps, jobId: string): Promise<JobKeyPair> {
  const sealed = await deps.store.getSecret(jobId, KEY_PAIR);
  if (sealed !== undefined) {
    return openJson<JobKeyPair>(deps.secretKey, sealed);
  }
  const pair = usableKeyPair(jobId);
  await deps.store.setSecret(jobId, KEY_PAIR, sealJson(deps.secretKey, pair));
  return pair;
}

/**
 * ssh2's ed25519 generator drops a leading zero byte of the public key about once in 200 pairs
 * (a 31-byte key: "Malformed OpenSSH private key" on every later connect). Keep only pairs that
 * parse back.
 */
export function isUsableKeyPair(pair: JobKeyPair): boolean {
  return (
    !(utils.parseKey(pair.privateKey) instanceof Error) && !(utils.parseKey(pair.publicKey) instanceof Error)
  );
}

export function usableKeyPair(jobId: string): JobKeyPair {
  for (let i = 0; ; i += 1) {
    const pair = generateJobKeyPair(`clore-batch ${jobId}`);
    if (
      !(utils.parseKey(pair.privateKey) instanceof Error) &&
      !(utils.parseKey(pair.publicKey) instanceof Error)
    ) {
      return pair;
    }
    if (i >= 20) {
      throw new AppError('INTERNAL', 'could not generate a usable SSH key pair');
    }
  }
}

/** The job's secretEnv in clear, only to hand it to the remote command. Never log the result. */
export async function openSecretEnv(deps: LifecycleDeps, jobId: string): Promise<Record<string, string>> {
  const sealed = await deps.store.getSecret(jobId, 'secretEnv');
  if (sealed === undefined) {
    return {};
  }
  return openJson<Record<string, string>>(deps.secretKey, sealed);
}

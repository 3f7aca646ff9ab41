import { openJson, sealJson } from '@clore-batch/shared';
import { generateJobKeyPair, type JobKeyPair } from '../remote/job-key-pair';
import type { LifecycleDeps } from './deps';

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
  const pair = generateJobKeyPair(`clore-batch ${jobId}`);
  await deps.store.setSecret(jobId, KEY_PAIR, sealJson(deps.secretKey, pair));
  return pair;
}

/** The job's secretEnv in clear, only to hand it to the remote command. Never log the result. */
export async function openSecretEnv(deps: LifecycleDeps, jobId: string): Promise<Record<string, string>> {
  const sealed = await deps.store.getSecret(jobId, 'secretEnv');
  if (sealed === undefined) {
    return {};
  }
  return openJson<Record<string, string>>(deps.secretKey, sealed);
}

import { openJson, openSecret, sealJson } from '@clore-batch/shared';
import { generateJobKeyPair, type JobKeyPair } from '../remote/job-key-pair';
import { AttemptOver } from './control';
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

/**
 * The job's registryAuth in clear (sent as `dockerhub_auth`), or undefined when the spec has none.
 * A spec that says it has one whose secret is gone fails before anything is rented. Never log it.
 */
export async function openRegistryAuth(
  deps: LifecycleDeps,
  jobId: string,
  hasRegistryAuth: boolean,
): Promise<string | undefined> {
  if (!hasRegistryAuth) {
    return undefined;
  }
  const sealed = await deps.store.getSecret(jobId, 'registryAuth');
  if (sealed === undefined) {
    throw new AttemptOver(
      'internal',
      'the job has registryAuth but its sealed value is missing; nothing was rented',
    );
  }
  return openSecret(deps.secretKey, sealed);
}

/**
 * The values the job's stored log must never show (docs/decisions/0130): its secretEnv values and
 * its registryAuth, in clear, only to mask the log in memory. Never log or store the result.
 */
export async function maskedSecretValues(
  deps: LifecycleDeps,
  jobId: string,
  hasRegistryAuth: boolean,
): Promise<string[]> {
  const values = Object.values(await openSecretEnv(deps, jobId));
  const sealedAuth = hasRegistryAuth ? await deps.store.getSecret(jobId, 'registryAuth') : undefined;
  if (sealedAuth !== undefined) {
    values.push(openSecret(deps.secretKey, sealedAuth));
  }
  return values;
}

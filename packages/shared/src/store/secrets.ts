import { AppError } from '../errors/app-error';
import { assertJobId } from './job-io';
import { assertSealed } from './records';
import type { StoreDeps } from './store-deps';

/**
 * Names of per-job secrets: `secretEnv` and `registryAuth` (set at create, sealed by the API),
 * `sshKeyPair` (the worker's key pair).
 */
const SECRET_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

function assertName(name: string): void {
  if (!SECRET_NAME.test(name)) {
    throw new AppError('INTERNAL', `invalid secret name ${JSON.stringify(name.slice(0, 64))}`);
  }
}

/**
 * Keep a secret of a job, sealed by the caller (`sealSecret` / `sealJson`): the store refuses
 * anything that is not in the secret box format, so a clear value can never be stored by mistake.
 */
export async function setSecret(deps: StoreDeps, id: string, name: string, sealed: string): Promise<void> {
  assertJobId(id);
  assertName(name);
  assertSealed(sealed, name);
  if ((await deps.redis.exists(deps.keys.job(id))) === 0) {
    throw new AppError('JOB_NOT_FOUND', `no job ${id}`);
  }
  await deps.redis.hset(deps.keys.secrets(id), name, sealed);
}

/** The sealed secret, or undefined when the job has none by that name. */
export async function getSecret(deps: StoreDeps, id: string, name: string): Promise<string | undefined> {
  assertJobId(id);
  assertName(name);
  return (await deps.redis.hget(deps.keys.secrets(id), name)) ?? undefined;
}

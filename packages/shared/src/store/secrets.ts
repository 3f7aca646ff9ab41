import { AppError } from '../errors/app-error';
import { TERMINAL_STATES } from '../state/job-state';
import { assertJobId } from './job-io';
import { assertSealed } from './records';
import { runScript, SET_SECRET } from './scripts';
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
 * anything that is not in the secret box format, so a clear value can never be stored by mistake,
 * and refuses a finished job in the same step as the write (retention.ts purges its secrets).
 */
export async function setSecret(deps: StoreDeps, id: string, name: string, sealed: string): Promise<void> {
  assertJobId(id);
  assertName(name);
  assertSealed(sealed, name);
  const [outcome, state] = (await runScript(
    deps.redis,
    SET_SECRET,
    [deps.keys.job(id), deps.keys.secrets(id)],
    [name, sealed, ...TERMINAL_STATES],
  )) as [string, string?];
  if (outcome === 'missing') {
    throw new AppError('JOB_NOT_FOUND', `no job ${id}`);
  }
  if (outcome === 'finished') {
    throw new AppError('JOB_INVALID_TRANSITION', `job ${id} is ${state}: its secrets are not kept any more`);
  }
}

/** The sealed secret, or undefined when the job has none by that name. */
export async function getSecret(deps: StoreDeps, id: string, name: string): Promise<string | undefined> {
  assertJobId(id);
  assertName(name);
  return (await deps.redis.hget(deps.keys.secrets(id), name)) ?? undefined;
}

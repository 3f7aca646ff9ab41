import { AppError, type JobRecord, type JobSpec, parseJobSpec } from '@clore-batch/shared';

/**
 * The spec of a new job that runs `job` again: everything the record keeps, with the secret values
 * the admin typed again for the record's secretEnvNames (a name left out is dropped; a name the job
 * did not have is refused). Stored secrets are never read back. A job that had registry credentials
 * cannot be re-submitted here: they are not stored in a form we read, and are not asked for.
 */
export function resubmitSpec(job: JobRecord, secretEnv: Readonly<Record<string, string>>): JobSpec {
  const { secretEnvNames, hasRegistryAuth, ...rest } = job.spec;
  if (hasRegistryAuth) {
    throw new AppError(
      'VALIDATION_FAILED',
      'this job pulled its image with registry credentials: submit it again through POST /v1/jobs with them',
    );
  }
  const unknown = Object.keys(secretEnv).filter((name) => !secretEnvNames.includes(name));
  if (unknown.length > 0) {
    throw new AppError('VALIDATION_FAILED', `secretEnv names the job did not have: ${unknown.join(', ')}`);
  }
  const kept = Object.fromEntries(Object.entries(secretEnv).filter(([, value]) => value !== ''));
  return parseJobSpec({ ...rest, secretEnv: kept });
}

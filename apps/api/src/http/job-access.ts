import { AppError, type JobRecord, type JobStore } from '@clore-batch/shared';
import type { Principal } from '../auth/principal';

/** Admins see every job; a submit token only its own. */
export function canSee(principal: Principal, job: JobRecord): boolean {
  return principal.role === 'admin' || job.owner === principal.name;
}

/**
 * The job if this principal may see it. Another token's job answers exactly like a missing one
 * (404 JOB_NOT_FOUND, same message), so ids of other tenants' jobs cannot be probed.
 */
export async function jobFor(
  store: JobStore,
  principal: Principal | undefined,
  id: string,
): Promise<JobRecord> {
  const notFound = () => new AppError('JOB_NOT_FOUND', `no job ${id}`);
  if (principal === undefined) {
    throw new AppError('UNAUTHORIZED', 'missing bearer token');
  }
  let job: JobRecord;
  try {
    job = await store.get(id);
  } catch (error) {
    if (error instanceof AppError && error.code === 'JOB_NOT_FOUND') {
      throw notFound();
    }
    throw error;
  }
  if (!canSee(principal, job)) {
    throw notFound();
  }
  return job;
}

/** The principal of an authenticated route (the auth hook guarantees it). */
export function principalOf(request: { principal?: Principal }): Principal {
  if (request.principal === undefined) {
    throw new AppError('UNAUTHORIZED', 'missing bearer token');
  }
  return request.principal;
}

/** Who submits (the principal's name) and the request's `Idempotency-Key`, if it sent one. */
export function submitterOf(request: {
  principal?: Principal;
  headers: { 'idempotency-key'?: string | string[] | undefined };
}): { owner: string; idempotencyKey?: string } {
  const idempotencyKey = request.headers['idempotency-key'];
  return {
    owner: principalOf(request).name,
    ...(typeof idempotencyKey === 'string' ? { idempotencyKey } : {}),
  };
}

import { AppError, idempotentSweepId, requestHash, type SweepRecord } from '@clore-batch/shared';
import {
  enqueueSubmitted,
  prepareSubmission,
  type SubmitDeps,
  sealedSecrets,
} from '../submission/submit-job';
import { admitSubmission } from '../submission/tenant-admission';
import { type SweepBody, sweepPoints, sweepSize } from './sweep-body';

export interface SweepSubmission {
  body: SweepBody;
  owner: string;
  idempotencyKey?: string;
}

/**
 * A sweep: the checks of one job (prepareSubmission: the Idempotency-Key's form, currency, webhook
 * target, the market check; points differ only in env, which none of them reads), the size against
 * SWEEP_MAX_JOBS, then TENANT_LIMITS for all its jobs at once (admitSubmission with `jobs`), then the
 * sweep and its jobs stored in one script and enqueued. Refused whole, nothing stored, or made whole.
 * A repeat of the Idempotency-Key with the same body answers the same sweep (docs/decisions/0136).
 */
export async function submitSweep(
  deps: SubmitDeps,
  submission: SweepSubmission,
): Promise<{ sweep: SweepRecord; created: boolean }> {
  const { body, owner, idempotencyKey } = submission;
  const isRepeat = async () =>
    idempotencyKey !== undefined &&
    (await idempotentSweepId(deps.redis, deps.config.REDIS_PREFIX, owner, idempotencyKey)) !== undefined;
  const size = sweepSize(body);
  const max = deps.config.SWEEP_MAX_JOBS;
  if (size > max) {
    throw new AppError('SWEEP_TOO_LARGE', `the sweep would make ${size} jobs, SWEEP_MAX_JOBS is ${max}`, {
      details: { jobs: size, max },
    });
  }
  const { spec, stored, market } = await prepareSubmission(
    deps,
    { spec: body.spec, owner, ...(idempotencyKey === undefined ? {} : { idempotencyKey }) },
    isRepeat,
  );
  const specs = sweepPoints(body).map((point) => ({ ...stored, env: { ...stored.env, ...point } }));
  const result = await admitSubmission(
    deps,
    {
      tenant: owner,
      spec,
      jobs: specs.length,
      isRepeat,
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    },
    () =>
      deps.store.createSweep({
        specs,
        owner,
        ...(body.name === undefined ? {} : { name: body.name }),
        ...sealedSecrets(deps.secretKey, spec),
        ...(idempotencyKey === undefined
          ? {}
          : { idempotencyKey, requestHash: requestHash(body, deps.secretKey) }),
      }),
  );
  const jobs = result.created ? result.jobs : await deps.store.getMany(result.sweep.jobIds);
  await enqueueSubmitted(deps, jobs, result.created, market);
  return { sweep: result.sweep, created: result.created };
}

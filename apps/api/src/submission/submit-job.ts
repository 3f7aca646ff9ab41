import {
  AppError,
  applySpecDefaults,
  type Config,
  type DeepReadonly,
  type JobRecord,
  type JobSpec,
  type JobStore,
  requestHash,
  type SecretKey,
  sealJson,
  sealSecret,
  toStoredSpec,
} from '@clore-batch/shared';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { type Resolver, webhookTargetProblem } from '../webhooks/address-policy';
import { enqueueRun } from './enqueue';
import type { UsageReader } from './read-usage';
import { admitSubmission } from './tenant-admission';
import type { TenantLockOptions } from './tenant-lock';

export interface SubmitDeps {
  config: DeepReadonly<Config>;
  store: JobStore;
  queue: Queue;
  /** The tenant lock and the idempotency lookup of TENANT_LIMITS. */
  redis: Redis;
  usage: UsageReader;
  secretKey: SecretKey;
  resolve?: Resolver;
  now?: () => Date;
  lock?: TenantLockOptions;
}

export interface Submission {
  spec: JobSpec;
  owner: string;
  idempotencyKey?: string;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/**
 * Submit a validated spec: apply the deployment's currency, refuse private webhook targets, check
 * the owner's TENANT_LIMITS (tenant-admission.ts), seal secretEnv, store the job (idempotent per
 * owner and key), then enqueue it. The enqueue runs on a
 * repeat as well while the job is still queued: BullMQ's jobId is ours, so an earlier enqueue is not
 * doubled, and a submission whose first try died between store and enqueue is completed by its
 * retry (or by the sweep, docs/decisions/0060-api-submission.md).
 */
export async function submitJob(
  deps: SubmitDeps,
  submission: Submission,
): Promise<{ job: JobRecord; created: boolean }> {
  const { idempotencyKey } = submission;
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new AppError('VALIDATION_FAILED', 'Idempotency-Key must be 1-200 printable ASCII characters', {
      details: {
        issues: [{ path: 'headers.idempotency-key', message: 'must be 1-200 printable ASCII characters' }],
      },
    });
  }
  const spec = applySpecDefaults(submission.spec, { currency: deps.config.CLORE_CURRENCY });
  if (spec.webhookUrl !== undefined && !deps.config.WEBHOOK_ALLOW_PRIVATE) {
    const problem = await webhookTargetProblem(spec.webhookUrl, deps.resolve);
    if (problem) {
      throw new AppError('WEBHOOK_URL_REFUSED', `webhookUrl ${problem}`, {
        details: { issues: [{ path: 'webhookUrl', message: problem }] },
      });
    }
  }
  const secretNames = Object.keys(spec.secretEnv);
  const create = () =>
    deps.store.create({
      spec: toStoredSpec(spec),
      ...(secretNames.length > 0 ? { secretEnvSealed: sealJson(deps.secretKey, spec.secretEnv) } : {}),
      ...(spec.registryAuth === undefined
        ? {}
        : { registryAuthSealed: sealSecret(deps.secretKey, spec.registryAuth) }),
      owner: submission.owner,
      ...(idempotencyKey === undefined
        ? {}
        : { idempotencyKey, requestHash: requestHash(submission.spec, deps.secretKey) }),
    });
  const result = await admitSubmission(
    deps,
    { tenant: submission.owner, spec, ...(idempotencyKey === undefined ? {} : { idempotencyKey }) },
    create,
  );
  if (result.created || result.job.state === 'queued') {
    await enqueueRun(deps.queue, result.job);
  }
  return result;
}

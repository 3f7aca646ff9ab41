import {
  AppError,
  applySpecDefaults,
  type Config,
  type DeepReadonly,
  type ErrorCode,
  errorCodeOf,
  idempotentJobId,
  type JobRecord,
  type JobSpec,
  type JobStore,
  type ResolvedJobSpec,
  requestHash,
  type SecretKey,
  type StoredJobSpec,
  sealJson,
  sealSecret,
  toStoredSpec,
} from '@clore-batch/shared';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { CreationFeeSource } from '../market/creation-fee';
import type { MarketplaceReader } from '../market/marketplace-reader';
import { assertUploaded } from '../uploads/upload-store';
import { type Resolver, webhookTargetProblem } from '../webhooks/address-policy';
import { enqueueRun } from './enqueue';
import { checkAgainstMarket, type MarketCheck } from './market-check';
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
  /** The fleet's marketplace snapshot: the submit check and plans (docs/decisions/0132). */
  market: MarketplaceReader;
  /** The provider's creation fee, for plans. */
  fees?: CreationFeeSource;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by buildApp: the submit path's dependencies, for plugins (the dashboard's re-submit). */
    jobSubmitter: SubmitDeps;
  }
}

export interface Submission {
  spec: JobSpec;
  owner: string;
  idempotencyKey?: string;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/** The market check's refusals (a repeat of a used Idempotency-Key is answered despite them). */
const MARKET_REFUSALS: ReadonlySet<ErrorCode> = new Set(['GPU_MODEL_UNKNOWN', 'SPEC_UNSATISFIABLE']);

export interface PreparedSubmission {
  spec: ResolvedJobSpec;
  stored: StoredJobSpec;
  market: MarketCheck;
}

/**
 * What a submit and a dry run check before anything else, so both refuse alike: the
 * Idempotency-Key's form, the deployment's currency, private webhook targets, the workdir upload
 * (the owner's own, touched as a use: 422 UPLOAD_NOT_FOUND otherwise), and the spec against
 * the marketplace (market-check.ts). A market refusal is not given to a repeat of a key the owner
 * has used: that answers with the job it made (or a conflict), whatever the market does now.
 */
export async function prepareSubmission(
  deps: SubmitDeps,
  submission: Submission,
  /** Whether the Idempotency-Key was used before (default: the job idempotency lookup; a sweep has its own). */
  isRepeat?: () => Promise<boolean>,
): Promise<PreparedSubmission> {
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
  if (spec.workdir !== undefined) {
    await assertUploaded(deps.config.DATA_DIR, submission.owner, spec.workdir.upload);
  }
  const stored = toStoredSpec(spec);
  try {
    return { spec, stored, market: await checkAgainstMarket(deps, stored) };
  } catch (error) {
    const repeat =
      MARKET_REFUSALS.has(errorCodeOf(error)) &&
      idempotencyKey !== undefined &&
      (isRepeat === undefined
        ? (await idempotentJobId(deps.redis, deps.config.REDIS_PREFIX, submission.owner, idempotencyKey)) !==
          undefined
        : await isRepeat());
    if (repeat) {
      return { spec, stored, market: { notes: [] } };
    }
    throw error;
  }
}

/**
 * Submit a validated spec: prepareSubmission (currency, webhook target, the market check), check
 * the owner's TENANT_LIMITS (tenant-admission.ts), seal secretEnv, store the job (idempotent per
 * owner and key), then enqueue it. The enqueue runs on a
 * repeat as well while the job is still queued: BullMQ's jobId is ours, so an earlier enqueue is not
 * doubled, and a submission whose first try died between store and enqueue is completed by its
 * retry (or by the sweep, docs/decisions/0060-api-submission.md). What the market check noted (no
 * listing known, every fitting server rented now) goes into the new job's history.
 */
export async function submitJob(
  deps: SubmitDeps,
  submission: Submission,
): Promise<{ job: JobRecord; created: boolean }> {
  const { idempotencyKey } = submission;
  const { spec, stored, market } = await prepareSubmission(deps, submission);
  const create = () =>
    deps.store.create({
      spec: stored,
      ...sealedSecrets(deps.secretKey, spec),
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
  const [job] = await enqueueSubmitted(deps, [result.job], result.created, market);
  return { job: job ?? result.job, created: result.created };
}

const ENQUEUE_BATCH = 50;

/** The spec's secretEnv and registryAuth sealed for the store (absent when the spec has none). */
export function sealedSecrets(
  secretKey: SecretKey,
  spec: Pick<ResolvedJobSpec, 'secretEnv' | 'registryAuth'>,
): { secretEnvSealed?: string; registryAuthSealed?: string } {
  return {
    ...(Object.keys(spec.secretEnv).length > 0
      ? { secretEnvSealed: sealJson(secretKey, spec.secretEnv) }
      : {}),
    ...(spec.registryAuth === undefined
      ? {}
      : { registryAuthSealed: sealSecret(secretKey, spec.registryAuth) }),
  };
}

/**
 * After a submit stored its jobs (one, or a sweep's): new jobs get the market check's notes in their
 * history; every new or still queued job is enqueued (a repeat completes a submit that died between
 * store and enqueue).
 */
export async function enqueueSubmitted(
  deps: Pick<SubmitDeps, 'store' | 'queue'>,
  jobs: readonly JobRecord[],
  created: boolean,
  market: MarketCheck,
): Promise<JobRecord[]> {
  const out: JobRecord[] = [];
  // A sweep's jobs go ENQUEUE_BATCH at a time (their Redis commands share round trips).
  for (let i = 0; i < jobs.length; i += ENQUEUE_BATCH) {
    const batch = jobs.slice(i, i + ENQUEUE_BATCH).map(async (first) => {
      let job = first;
      if (created) {
        for (const note of market.notes) {
          job = await deps.store.addInfo(job.id, note);
        }
      }
      if (created || job.state === 'queued') {
        await enqueueRun(deps.queue, job);
      }
      return job;
    });
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

import { planOnMarket } from '@clore-batch/shared';
import { provisionSecondsOf } from './market-check';
import type { JobPlan } from './plan-schema';
import { prepareSubmission, type Submission, type SubmitDeps } from './submit-job';
import { admitSubmission } from './tenant-admission';

/**
 * A dry run (`POST /v1/jobs?dryRun=true`): the same checks as a submit, in the same order and with
 * the same errors (prepareSubmission, then the tenant's limits), but nothing is stored, queued or
 * ordered. The plan is the worker's own selection on the fleet's snapshot (planOnMarket) with the
 * provider's creation fee when it can be read. An Idempotency-Key is checked for form only.
 */
export async function planJob(deps: SubmitDeps, submission: Submission): Promise<JobPlan> {
  const { spec, stored, market } = await prepareSubmission(deps, submission);
  const { snapshot } = market;
  const now = (deps.now ?? (() => new Date()))().getTime();
  const known =
    snapshot === undefined
      ? { known: false }
      : {
          known: true,
          at: new Date(snapshot.at).toISOString(),
          ageSeconds: Math.max(0, Math.round((now - snapshot.at) / 1000)),
        };
  let body: Pick<JobPlan, 'servers' | 'rejected' | 'estimate' | 'notes'> = {
    servers: [],
    rejected: {},
    notes: [],
  };
  if (snapshot !== undefined) {
    const creationFeeUsd = await deps.fees?.usd(stored.currency, stored.orderType, snapshot.usdRates);
    body = planOnMarket(snapshot, stored, {
      firstCheckSeconds: deps.config.ORDER_POLL_INTERVAL_MS / 1000,
      listingAgeMs: now - snapshot.at,
      maxListingAgeMs: deps.config.MARKETPLACE_MAX_AGE_SECONDS * 1000,
      ...(creationFeeUsd === undefined ? {} : { creationFeeUsd }),
    });
  }
  const plan: JobPlan = {
    dryRun: true,
    spec: stored,
    provisionTimeoutSeconds: provisionSecondsOf(deps.config, stored),
    marketplace: known,
    servers: body.servers,
    rejected: body.rejected,
    ...(body.estimate === undefined ? {} : { estimate: body.estimate }),
    notes: [...market.notes, ...body.notes],
  };
  // The tenant's limits refuse a plan as they would the job; `create` stores nothing.
  return admitSubmission(deps, { tenant: submission.owner, spec }, async () => plan);
}

import {
  type Config,
  checkMarketFit,
  type DeepReadonly,
  hasErrorCode,
  type MarketplaceSnapshot,
  type StoredJobSpec,
} from '@clore-batch/shared';
import type { MarketplaceReader } from '../market/marketplace-reader';

export interface MarketCheckDeps {
  config: DeepReadonly<Config>;
  market: MarketplaceReader;
  now?: () => Date;
}

export interface MarketCheck {
  /** The snapshot checked against (also when it was too old to check, for a plan's selection). */
  snapshot?: MarketplaceSnapshot;
  /** For the job's history: why nothing was checked, or what the check found worth saying. */
  notes: string[];
}

/** How many seconds the job may look for a server (its own setting, else the deployment's). */
export function provisionSecondsOf(config: DeepReadonly<Config>, spec: StoredJobSpec): number {
  return spec.provisionTimeoutSeconds ?? config.PROVISION_TIMEOUT_SECONDS;
}

/**
 * A submitted spec against the fleet's marketplace snapshot (docs/decisions/0132): throws
 * GPU_MODEL_UNKNOWN or SPEC_UNSATISFIABLE (422) when no listed server could ever run it. A submit is
 * never blocked on the fleet: with no snapshot (the leader is asked for one), an unreadable one, or
 * one older than MARKETPLACE_MAX_AGE_SECONDS, the spec is accepted unchecked and the notes say so.
 */
export async function checkAgainstMarket(deps: MarketCheckDeps, spec: StoredJobSpec): Promise<MarketCheck> {
  let snapshot: MarketplaceSnapshot | undefined;
  try {
    snapshot = await deps.market.read();
  } catch (error) {
    if (hasErrorCode(error) && error.code === 'FLEET_RECORD_MALFORMED') {
      return {
        notes: ['the marketplace listing in Redis is unreadable: the spec was not checked against it'],
      };
    }
    throw error;
  }
  if (snapshot === undefined) {
    await deps.market.requestRefresh().catch(() => undefined);
    return {
      notes: [
        'the marketplace is not known yet (no listing from the fleet leader): the spec was not checked against it',
      ],
    };
  }
  const now = (deps.now ?? (() => new Date()))().getTime();
  const ageSeconds = Math.round((now - snapshot.at) / 1000);
  if (ageSeconds > deps.config.MARKETPLACE_MAX_AGE_SECONDS) {
    return {
      snapshot,
      notes: [
        `the marketplace listing is ${ageSeconds} s old (over MARKETPLACE_MAX_AGE_SECONDS): the spec was not checked against it`,
      ],
    };
  }
  const fit = checkMarketFit(snapshot, spec);
  if (!fit.ok) {
    throw fit.error;
  }
  const notes = [...fit.notes];
  if (fit.free === 0 && fit.fitting > 0) {
    notes.push(
      `all ${fit.fitting} listed server(s) that fit are rented or offline right now: the job waits for one (up to provisionTimeoutSeconds, ${provisionSecondsOf(deps.config, spec)} s)`,
    );
  }
  return { snapshot, notes };
}

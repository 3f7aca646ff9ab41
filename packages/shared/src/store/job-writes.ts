import { AppError, hasErrorCode } from '../errors/app-error';
import { attemptPhaseOf } from '../state/attempt-phase';
import { isTerminal } from '../state/job-state';
import type { JobEvent } from '../state/transitions';
import { assertFence, mustReadJob, throwIfGone, writeJob } from './job-io';
import type { Attempt, JobRecord, StrayOrder } from './job-record';
import { nextAfterTransition, nextAfterUpdate, type TransitionOptions } from './next-record';
import { CAS_RETRIES, type StoreDeps } from './store-deps';

function conflict(id: string, why: string, details: Record<string, unknown>): AppError {
  return new AppError('JOB_STATE_CONFLICT', `job ${id}: ${why}`, { details: { jobId: id, ...details } });
}

/**
 * Apply `event` with a compare-and-set on (state, version). The state the caller expects is
 * `expectedState`, or the state first read. If another writer changed only non-state fields
 * meanwhile (an `update`), the transition is recomputed and retried; if the state changed, it is a
 * lost race: JOB_STATE_CONFLICT, and nothing is written.
 */
export async function transitionJob(
  deps: StoreDeps,
  id: string,
  event: JobEvent,
  options: TransitionOptions = {},
): Promise<JobRecord> {
  let expected = options.expectedState;
  for (let i = 0; i < CAS_RETRIES; i += 1) {
    const job = await mustReadJob(deps, id);
    await assertFence(deps, id, event);
    expected ??= job.state;
    if (job.state !== expected) {
      throw conflict(id, `expected ${expected} but it is ${job.state} (${event} not applied)`, {
        expectedState: expected,
        state: job.state,
      });
    }
    if (options.expectedVersion !== undefined && job.version !== options.expectedVersion) {
      throw conflict(id, `expected version ${options.expectedVersion} but it is ${job.version}`, {
        expectedVersion: options.expectedVersion,
        version: job.version,
      });
    }
    const next = nextAfterTransition(job, event, options, deps.now());
    const outcome = await writeJob(deps, job, next);
    if (outcome === 'ok') {
      return next;
    }
    throwIfGone(outcome, id, event);
  }
  throw conflict(id, `${event} lost ${CAS_RETRIES} compare-and-set rounds in a row`, {});
}

/**
 * Change non-state fields (attempts, outputs, webhook deliveries, appended info events) with a
 * compare-and-set, retried on conflict: `mutate` changes the draft it gets in place and may run more
 * than once (after a lost race, on a fresh copy), so it must not have other effects.
 */
export async function updateJob(
  deps: StoreDeps,
  id: string,
  mutate: (draft: JobRecord) => void,
): Promise<JobRecord> {
  for (let i = 0; i < CAS_RETRIES; i += 1) {
    const job = await mustReadJob(deps, id);
    await assertFence(deps, id, 'update');
    const draft = structuredClone(job);
    mutate(draft);
    const next = nextAfterUpdate(job, draft, deps.now());
    const outcome = await writeJob(deps, job, next);
    if (outcome === 'ok') {
      return next;
    }
    throwIfGone(outcome, id, 'update');
  }
  throw conflict(id, `update lost ${CAS_RETRIES} compare-and-set rounds in a row`, {});
}

/** Append an `info` event to the job's history. */
export function addInfo(deps: StoreDeps, id: string, message: string): Promise<JobRecord> {
  const at = deps.now().toISOString();
  return updateJob(deps, id, (job) => {
    job.events.push({ at, type: 'info', message });
  });
}

/**
 * Count a retryable provisioning failure that came before an attempt was recorded, with its info
 * event, in one write: the retry policy reads the count (`provisionFailures`, state/retry-policy.ts),
 * so a restarted worker goes on counting where the last one stopped.
 */
export function provisionFailed(deps: StoreDeps, id: string, message: string): Promise<JobRecord> {
  const at = deps.now().toISOString();
  return updateJob(deps, id, (job) => {
    job.provisionFailures = (job.provisionFailures ?? 0) + 1;
    job.events.push({ at, type: 'info', message });
  });
}

/**
 * Count an order the reaper cancelled for the job that no attempt holds (docs/decisions/0123):
 * idempotent per order id (a later call with a newer bill replaces the figure, never lowering it),
 * with an info event the first time. Not a worker write: the fleet leader makes it, unfenced.
 */
export function recordStrayOrder(
  deps: StoreDeps,
  id: string,
  stray: Omit<StrayOrder, 'at'>,
): Promise<JobRecord> {
  const at = deps.now().toISOString();
  return updateJob(deps, id, (job) => {
    const strays = job.strayOrders ?? [];
    const known = strays.find((s) => s.orderId === stray.orderId);
    if (known !== undefined) {
      known.costUsd = Math.max(known.costUsd, stray.costUsd);
      return;
    }
    job.strayOrders = [...strays, { ...stray, at }];
    job.events.push({
      at,
      type: 'info',
      message: `order ${stray.orderId} on server ${stray.serverId}, made by a create_order of attempt ${stray.attempt} whose answer was lost, was cancelled by the reaper; its bill ($${stray.costUsd.toFixed(4)}) counts in the job's cost`,
    });
  });
}

/**
 * Start attempt `attempts.length + 1`; `n` is assigned here. It starts in phase intent (no order
 * id) or bound (state/attempt-phase.ts), and only once the previous attempt has ended: a job never
 * has two open attempts (two orders billing). Otherwise JOB_INVALID_TRANSITION.
 */
export async function addAttempt(
  deps: StoreDeps,
  id: string,
  attempt: Omit<Attempt, 'n'>,
): Promise<JobRecord> {
  const phase = attemptPhaseOf(attempt);
  if (phase !== 'intent' && phase !== 'bound') {
    throw new AppError(
      'JOB_INVALID_TRANSITION',
      `a new attempt of job ${id} starts as intent or bound, not ${phase}`,
      {
        details: { phase },
      },
    );
  }
  return updateJob(deps, id, (job) => {
    const last = job.attempts.at(-1);
    if (last !== undefined && attemptPhaseOf(last) !== 'ended') {
      throw new AppError(
        'JOB_INVALID_TRANSITION',
        `job ${id}: attempt ${last.n} is ${attemptPhaseOf(last)}, not ended; a new attempt must wait for it`,
        { details: { phase: attemptPhaseOf(last), attempt: last.n } },
      );
    }
    job.attempts.push({ ...attempt, n: job.attempts.length + 1 });
  });
}

/**
 * The user's cancel. A queued job is cancelled at once (no server exists). Any other live job gets
 * `cancelRequestedAt` and an info event, which notifies the worker; the worker stops the command,
 * releases the server and then takes the `cancel` event. Repeating a pending request is a no-op.
 */
export async function requestCancel(deps: StoreDeps, id: string): Promise<JobRecord> {
  for (let i = 0; i < CAS_RETRIES; i += 1) {
    const job = await mustReadJob(deps, id);
    if (isTerminal(job.state)) {
      throw new AppError('JOB_ALREADY_TERMINAL', `job ${id} already ended (${job.state})`, {
        details: { jobId: id, state: job.state },
      });
    }
    if (job.state === 'queued') {
      try {
        return await transitionJob(deps, id, 'cancel', {
          expectedState: 'queued',
          message: 'cancelled by the user before it started',
        });
      } catch (error) {
        if (hasErrorCode(error) && error.code === 'JOB_STATE_CONFLICT') {
          continue; // a worker dispatched it meanwhile: request the cancel from the new state
        }
        throw error;
      }
    }
    if (job.cancelRequestedAt !== undefined) {
      return job;
    }
    const at = deps.now().toISOString();
    const next = structuredClone(job);
    next.cancelRequestedAt = at;
    next.events.push({
      at,
      type: 'info',
      message: `cancel requested while ${job.state}: stopping the command and releasing the server`,
    });
    next.version = job.version + 1;
    next.updatedAt = at;
    const outcome = await writeJob(deps, job, next);
    if (outcome === 'ok') {
      return next;
    }
    throwIfGone(outcome, id, 'cancel request');
  }
  throw conflict(id, `cancel lost ${CAS_RETRIES} compare-and-set rounds in a row`, {});
}

import {
  type Attempt,
  afterProvisionFailure,
  CONFLICT_REREADS,
  isTerminal,
  type JobRecord,
  METRICS,
} from '@clore-batch/shared';
import { awaitReady } from './await-ready';
import { classifyError } from './classify-error';
import { collect, collectedEnd } from './collect';
import { WorkerStopping } from './control';
import type { LifecycleDeps } from './deps';
import { endAttempt, MONEY_STOPS, recordEndReason } from './end-attempt';
import { JobRun } from './job-run';
import { cancelOrdersOfVanishedJob, isRecordLost, OwnershipLost, RecordLost } from './ownership';
import { provisionAttempt } from './provision';
import { runCommand } from './run-command';
import { settle } from './settle';
import { removeRemote, stopRemote } from './stop-remote';
import { watchAttempt } from './watch-attempt';

const openAttempt = (job: JobRecord): Attempt | undefined => {
  const last = job.attempts.at(-1);
  return last !== undefined && last.endReason === undefined ? last : undefined;
};

/**
 * Drive one attempt from wherever its persisted state says it is: waiting for the server, running
 * the command (started once, followed from the stored offset), or collecting. Ends the attempt
 * (`completed` or `timeout`) and releases the order; errors go to the caller.
 */
async function runAttempt(run: JobRun, attempt: Attempt): Promise<void> {
  run.newAttemptSignal();
  const watch = watchAttempt(run, attempt);
  try {
    let current = attempt;
    if (current.readyAt === undefined) {
      current = await awaitReady(run, current);
      await run.deps.telemetry?.observe(
        METRICS.provisioningDuration,
        (Date.parse(current.readyAt as string) - Date.parse(current.startedAt)) / 1000,
      );
    }
    run.signal.throwIfAborted();
    if (run.job.state === 'provisioning') {
      await run.transition('provisioned', {
        message: `the server is up; the command started (attempt ${current.n})`,
      });
    }
    if (run.job.state === 'running') {
      const result = await runCommand(run, current);
      run.signal.throwIfAborted();
      await run.transition('command_exited', { exitCode: result.exitCode });
    }
    const collected = await collect(run, current);
    run.signal.throwIfAborted();
    await watch.stop();
    const end = collectedEnd(run, collected);
    const decided = await recordEndReason(run, current, end.endReason, end.message);
    // Decided first: a worker resuming after this point never needs the directory again.
    await removeRemote(run, decided);
    await endAttempt(run, decided, decided.endReason ?? 'completed', end.message);
  } finally {
    await watch.stop();
  }
}

/** Attempt end reasons after which the server is still up (the others: it is gone or unreachable). */
const SERVER_ALIVE: ReadonlySet<string> = new Set([
  'budget_exceeded',
  'internal',
  'command_failed',
  'timeout',
  'outputs_missing',
  'outputs_too_large',
]);

/** Handle an error of the attempt phase; returns when the job can go on (the loop re-reads it). */
async function afterError(run: JobRun, error: unknown, round: { conflicts: number }): Promise<void> {
  // A lost lease or a vanished record is never the attempt's failure: nothing is written for it.
  run.note(error);
  if (run.stopping) {
    run.throwIfStopped();
  }
  if (run.recordLost) {
    throw new RecordLost();
  }
  const action = classifyError(
    run.signal.aborted && run.signal.reason instanceof Error ? pickReason(run, error) : error,
  );
  if (action.kind === 'leave') {
    throw new WorkerStopping(action.message);
  }
  if (action.kind === 'rethrow') {
    throw error;
  }
  if (action.kind === 'reread') {
    round.conflicts += 1;
    if (round.conflicts > CONFLICT_REREADS) {
      throw error;
    }
    run.log.warn({ error: action.message }, 'the job changed under this worker; re-reading it');
    return;
  }
  await run.refresh();
  const open = openAttempt(run.job);
  if (action.kind === 'cancel') {
    if (open !== undefined) {
      const decided = await recordEndReason(run, open, 'cancelled', 'cancelled by its owner');
      await stopRemote(run, decided);
      await removeRemote(run, decided);
      await endAttempt(run, decided, 'cancelled', 'cancelled by its owner');
    } else {
      await run.transition('cancel', { message: 'cancelled by its owner before a server was rented' });
    }
    return;
  }
  run.log.warn(
    { reason: action.reason, attempt: open?.n },
    `attempt failed (${action.reason}): ${action.message}`,
  );
  if (open !== undefined) {
    const decided = await recordEndReason(run, open, action.reason, action.message);
    if (decided.orderId !== undefined && MONEY_STOPS.has(action.reason)) {
      // A money stop: the cancel is asked for before the command is stopped (stopping it over SSH
      // takes up to the kill grace and more, billed all the while). The rest of the log is saved if
      // the server still answers within 2 s; its directory goes with the cancelled container.
      await run.deps.fleet.releases.request(decided.orderId, {
        jobId: run.id,
        reason: `${action.reason}: ${action.message}`.slice(0, 500),
      });
      await stopRemote(run, decided, { connectMs: 2_000 });
    } else if (SERVER_ALIVE.has(action.reason)) {
      // The server still answers for these: stop the command, clean up its directory.
      await stopRemote(run, decided);
      await removeRemote(run, decided);
    }
    await endAttempt(run, decided, action.reason, action.message);
    return;
  }
  // No attempt was recorded (no server, balance, an order that never showed up): counted in the
  // record, so a restart does not reset the count.
  if (afterProvisionFailure(run.job, action.reason) === 'retry') {
    run.job = await run.deps.store.provisionFailed(
      run.id,
      `provisioning failed (${action.reason}): ${action.message}; trying again`,
    );
    return;
  }
  await run.transition('fail', { reason: action.reason, message: `the job failed: ${action.message}` });
}

/** When the attempt's signal fired, its reason (cancel, stop, budget, order ended) explains the error. */
function pickReason(run: JobRun, error: unknown): unknown {
  const reason = run.signal.reason as Error;
  return reason.name === 'AttemptOver' ||
    reason.name === 'CancelRequested' ||
    reason.name === 'WorkerStopping'
    ? reason
    : error;
}

/**
 * The job lifecycle, resumable: every step is read back from the store (state, attempts, their
 * order, address, pinned host key, remote dir and log offset), so any worker can call this for a
 * job another worker left half done. Returns the final record, or throws WorkerStopping when this
 * worker must leave the job to the next one (OwnershipLost, a WorkerStopping, when another worker
 * took the job's lease: docs/decisions/0120), or RecordLost after cancelling the order it held when
 * the job's record vanished (docs/decisions/0121).
 */
export async function runJob(
  deps: LifecycleDeps,
  jobId: string,
  stopSignal: AbortSignal,
): Promise<JobRecord> {
  const run = await JobRun.open(deps, jobId, stopSignal);
  try {
    const final = await drive(run);
    await purgeSecrets(run);
    return final;
  } catch (error) {
    run.note(error);
    if (run.ownershipLost) {
      // Leave everything to the new owner: no write, no release, no cancel (docs/decisions/0120).
      throw error instanceof OwnershipLost ? error : new OwnershipLost((error as Error).message);
    }
    if (run.recordLost || isRecordLost(error)) {
      // Even while the worker stops: no other worker can learn of this order from the store.
      await cancelOrdersOfVanishedJob(run);
      throw error instanceof RecordLost ? error : new RecordLost((error as Error).message);
    }
    throw error;
  } finally {
    await run.close();
  }
}

/**
 * The job's sealed secrets (secretEnv, registryAuth, its SSH key pair) go as soon as it is terminal
 * and its orders have ended (the store checks both; docs/decisions/0133). Best effort: the API's
 * retention sweep purges what this misses.
 */
async function purgeSecrets(run: JobRun): Promise<void> {
  try {
    await run.deps.store.purgeSecrets(run.id);
  } catch (error) {
    run.log.warn({ err: error }, 'could not purge the finished job secrets; the retention sweep will');
  }
}

/** The driver's loop: one turn per step, re-reading the job each time. */
async function drive(run: JobRun): Promise<JobRecord> {
  const round = { conflicts: 0 };
  for (;;) {
    if (run.stopping) {
      run.throwIfStopped();
    }
    const job = await run.refresh();
    const last = job.attempts.at(-1);
    if (isTerminal(job.state)) {
      if (last !== undefined && last.endedAt === undefined) {
        await endAttempt(run, last, last.endReason ?? 'internal', `the job is ${job.state}`);
      }
      return run.job;
    }
    if (job.state === 'queued') {
      await run.transition('dispatch');
      continue;
    }
    if (last !== undefined && last.endReason !== undefined) {
      if (last.endedAt === undefined) {
        await endAttempt(run, last, last.endReason, 'resumed after a restart');
        continue;
      }
      if (!(await settle(run, last)) || isTerminal(run.job.state)) {
        return run.job;
      }
      // settle() said retry: the next attempt is provisioned below.
    }
    try {
      run.newAttemptSignal();
      run.throwIfStopped();
      // Orders are money no store write fences: never start provisioning on a lapsed lease.
      run.assertOwner();
      const attempt = openAttempt(run.job) ?? (await provisionAttempt(run));
      await runAttempt(run, attempt);
    } catch (error) {
      await afterError(run, error, round);
    }
  }
}

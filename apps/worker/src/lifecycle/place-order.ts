import { classifyCloreError } from '@clore-batch/clore';
import { abortableSleep } from '../remote/abortable-sleep';
import { AttemptOver, NextServer } from './control';
import type { JobRun } from './job-run';
import { findNewOrder, watchOrders } from './order-views';
import type { Candidate } from './select-server';

export interface PlaceOrderInput {
  attempt: number;
  candidate: Candidate;
  publicKey: string;
}

const CREATE_TRIES = 3;

/** The order ids other jobs' intents are bound to: never mistaken for ours. */
async function othersOrders(run: JobRun, attempt: number): Promise<Set<number>> {
  const intents = await run.deps.fleet.intents.list();
  return new Set(
    intents
      .filter((i) => !(i.jobId === run.id && i.attempt === attempt) && i.orderId !== undefined)
      .map((i) => i.orderId as number),
  );
}

/** Look for the order a create_order on `serverId` made, in the order book, until `untilMs`. */
export async function lookUpOrder(
  run: JobRun,
  options: { attempt: number; serverId: number; intentAt: number; untilMs: number },
): Promise<number | undefined> {
  const exclude = await othersOrders(run, options.attempt);
  const order = await watchOrders(
    run.deps,
    { untilMs: options.untilMs, signal: run.stopSignal, poll: true },
    (s) => findNewOrder(s, { serverId: options.serverId, notBeforeMs: options.intentAt, exclude }),
  );
  return order?.id;
}

/**
 * create_order for one candidate, under an intent written first (the reaper trusts it). Returns the
 * order id. A lost answer is never retried blindly: the order book is searched first (clore-api.md
 * Part A §3), so one attempt never holds two orders. Refusals become NextServer; a failure of the
 * account (balance) an AttemptOver with the job's reason.
 */
export async function placeOrder(run: JobRun, input: PlaceOrderInput): Promise<number> {
  const { deps, job } = run;
  const { server } = input.candidate;
  const { spec } = job;
  const intentAt = Date.now();
  await deps.fleet.intents.record({
    jobId: run.id,
    attempt: input.attempt,
    serverId: server.id,
    at: intentAt,
  });
  const lookUp = () =>
    lookUpOrder(run, {
      attempt: input.attempt,
      serverId: server.id,
      intentAt,
      untilMs: Date.now() + deps.settings.orderLookupMs,
    });
  for (let tries = 1; ; tries += 1) {
    try {
      // Never aborted by a cancel: a create cut short may still have made an order.
      const created = await deps.client.createOrder(
        {
          serverId: server.id,
          type: spec.orderType,
          currency: spec.currency,
          image: spec.image,
          sshKey: input.publicKey,
          ports: { '22': 'tcp' },
          ...(input.candidate.spotBidPerDay === undefined
            ? {}
            : { spotPricePerDay: input.candidate.spotBidPerDay }),
        },
        { signal: run.stopSignal },
      );
      await deps.fleet.orderBook.requestPoll();
      const orderId = created.orderId ?? (await lookUp());
      if (orderId === undefined) {
        // The intent stays: if the order shows up later, the reaper cancels it.
        throw new AttemptOver(
          'provider_error',
          `create_order on server ${server.id} answered OK, but no order appeared in ${deps.settings.orderLookupMs} ms`,
        );
      }
      return orderId;
    } catch (error) {
      if (error instanceof AttemptOver || run.stopSignal.aborted) {
        throw error;
      }
      const cls = classifyCloreError(error);
      run.log.warn(
        {
          serverId: server.id,
          cause: cls.cause,
          action: cls.action,
          orderMayExist: cls.orderMayExist,
          tries,
        },
        `create_order on server ${server.id} failed (${cls.cause}): ${cls.action}`,
      );
      if (cls.orderMayExist) {
        const found = await lookUp();
        if (found !== undefined) {
          run.log.info(
            { serverId: server.id, orderId: found },
            'the lost create_order had made order %d',
            found,
          );
          return found;
        }
      }
      switch (cls.action) {
        case 'retry_later':
          if (tries < CREATE_TRIES) {
            await abortableSleep(cls.retryAfterMs ?? 1_000 * tries, run.stopSignal);
            continue;
          }
          await deps.fleet.intents.remove(run.id, input.attempt);
          throw new NextServer(server.id, `create_order on server ${server.id} kept failing (${cls.cause})`, {
            cause: error,
          });
        case 'fail_job':
          await deps.fleet.intents.remove(run.id, input.attempt);
          throw new AttemptOver(cls.jobReason ?? 'provider_error', `create_order refused: ${cls.cause}`, {
            cause: error,
          });
        case 'next_server':
        case 'already_done':
        case 'skip':
          await deps.fleet.intents.remove(run.id, input.attempt);
          throw new NextServer(server.id, `server ${server.id} refused the order (${cls.cause})`, {
            cause: error,
          });
      }
    }
  }
}

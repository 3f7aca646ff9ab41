import { classifyCloreError } from '@clore-batch/clore';
import type { Candidate } from '@clore-batch/shared';
import { abortableSleep, backoffMs, CREATE_ORDER_TRIES, CREATE_RETRY_BASE_MS } from '@clore-batch/shared';
import { AttemptOver, NextServer } from './control';
import type { JobRun } from './job-run';
import { lookUpOrder } from './look-up-order';

export interface PlaceOrderInput {
  attempt: number;
  candidate: Candidate;
  publicKey: string;
  /** The spec's registryAuth in clear (a secret: never logged). */
  registryAuth?: string;
}

/**
 * create_order for one candidate, under an intent written first (the reaper trusts it). Returns the
 * order id. A lost answer is never retried blindly: the order book is searched first (clore-api.md
 * Part A §3), so one attempt never holds two orders. Refusals become NextServer; a failure of the
 * account (balance) an AttemptOver with the job's reason. The server's intent is removed only when
 * no try on this server can have made an order (docs/decisions/0054): after a lost answer whose
 * order was not found, it stays, and the reaper cancels that order if it ever appears.
 */
export async function placeOrder(run: JobRun, input: PlaceOrderInput): Promise<number> {
  const { deps, job } = run;
  const { server } = input.candidate;
  const { spec } = job;
  // Stamped with Redis time; a retry on this server keeps the first intent's time (docs/decisions/0111).
  const intent = await deps.fleet.intents.record({
    jobId: run.id,
    attempt: input.attempt,
    serverId: server.id,
  });
  const intentAt = intent.at;
  // The try returned or failed: an order made by it is first seen within the match window from now.
  const settle = () => deps.fleet.intents.settle(run.id, input.attempt, server.id).catch(() => {});
  const lookUp = async () =>
    (
      await lookUpOrder(run, {
        attempt: input.attempt,
        tries: [{ serverId: server.id, intentAt }],
        untilMs: Date.now() + deps.settings.orderLookupMs,
      })
    )?.orderId;
  // Set once a try on this server may have made an order that was not found.
  let mayHaveMade = false;
  const forget = async () => {
    if (!mayHaveMade) {
      await deps.fleet.intents.remove(run.id, input.attempt, server.id);
      return;
    }
    run.log.warn(
      { serverId: server.id, attempt: input.attempt },
      `keeping the intent for server ${server.id}: a lost create_order may still have made an order there (the reaper cancels it if it appears)`,
    );
  };
  for (let tries = 1; ; tries += 1) {
    try {
      // A worker that lost the job (paused past its lease) must not rent for it: checked right
      // before each create (its intent is already written, so an order made anyway is reaped).
      run.assertOwner();
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
          // Price guard (Part A 14): the per-day price in the order's currency selection used.
          ...(input.candidate.pricePerDay === undefined
            ? {}
            : { requiredPricePerDay: input.candidate.pricePerDay }),
          // Part A 10: Clore injects its SSH entrypoint unless the image runs its own sshd.
          autosshEntrypoint: !spec.imageHasSshd,
          ...(input.registryAuth === undefined ? {} : { dockerhubAuth: input.registryAuth }),
        },
        { signal: run.stopSignal },
      );
      await settle();
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
      if (run.stopSignal.aborted) {
        // A create cut short by the stop may have made an order: its matching window starts now
        // (unsettled, the intent would explain any order on this server for an hour, docs/decisions/0111).
        await settle();
        throw error;
      }
      if (error instanceof AttemptOver) {
        throw error;
      }
      await settle();
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
        mayHaveMade = true;
      }
      switch (cls.action) {
        case 'retry_later':
          if (tries < CREATE_ORDER_TRIES) {
            await abortableSleep(cls.retryAfterMs ?? backoffMs(tries, CREATE_RETRY_BASE_MS), run.stopSignal);
            continue;
          }
          await forget();
          throw new NextServer(server.id, `create_order on server ${server.id} kept failing (${cls.cause})`, {
            cause: error,
          });
        case 'fail_job':
          await forget();
          throw new AttemptOver(cls.jobReason ?? 'provider_error', `create_order refused: ${cls.cause}`, {
            cause: error,
          });
        case 'next_server':
        case 'already_done':
        case 'skip':
          await forget();
          throw new NextServer(server.id, `server ${server.id} refused the order (${cls.cause})`, {
            cause: error,
          });
      }
    }
  }
}

import type { WebhookPayload } from '@clore-batch/shared';
import type { Queue } from 'bullmq';

/**
 * Ask for a webhook delivery of one terminal state. Only the webhook sender calls it: the outbox
 * drainer (webhook-outbox.ts) for the first attempt, the delivery processor for its retries
 * (`<id>.<state>.<n>`). The BullMQ jobId `<id>.<state>` makes the first attempt once per job and
 * state however often the drainer adds it. (Not `<id>:<state>`: BullMQ refuses custom ids with one
 * colon.)
 */
export function webhookJobId(jobId: string, state: string, attempt = 1): string {
  return attempt === 1 ? `${jobId}.${state}` : `${jobId}.${state}.${attempt}`;
}

export async function enqueueWebhook(
  queue: Queue,
  payload: WebhookPayload,
  attempt = 1,
  delayMs = 0,
): Promise<void> {
  const jobId = webhookJobId(payload.jobId, payload.state, attempt);
  await queue.add(
    'deliver',
    { ...payload, attempt },
    { jobId, delay: delayMs, removeOnComplete: { age: 24 * 3_600 }, removeOnFail: { age: 7 * 24 * 3_600 } },
  );
}

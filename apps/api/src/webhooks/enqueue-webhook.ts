import type { WebhookPayload } from '@clore-batch/shared';
import type { Queue } from 'bullmq';

/**
 * Ask for a webhook delivery of one terminal state. The BullMQ jobId `<id>.<state>` makes it
 * once per job and state, whoever asks (the worker on each terminal state, the API on the cancel
 * of a queued job). Retries are chained by the delivery processor itself (`<id>.<state>.<n>`).
 * (Not `<id>:<state>`: BullMQ refuses custom ids with one colon.)
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

import { bullPrefix, JOBS_QUEUE, type RunJobPayload } from '@clore-batch/shared';
import { trackRedis, waitFor } from '@clore-batch/testing';
import { settleInBull } from '@clore-batch/worker';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect } from 'vitest';
import { apiTest } from '../../test/support/api-fixture';
import { auth, submitJob, type TestApi } from '../../test/support/api-kit';

const test = apiTest({}, { dashboard: {} });

interface BoardJob {
  id: string;
  failedReason?: string;
  isFailed: boolean;
  externalUrl?: { href: string; displayText?: string };
}
interface BoardQueue {
  name: string;
  counts: Record<string, number>;
  jobs: BoardJob[];
  allowRetries: boolean;
}

async function board(fx: TestApi, status: string): Promise<BoardQueue> {
  const response = await fx.app.inject({
    method: 'GET',
    url: `/admin/queues/api/queues?activeQueue=${JOBS_QUEUE}&status=${status}&page=1&jobsPerPage=10`,
    headers: auth('root'),
  });
  expect(response.statusCode).toBe(200);
  const queues = (response.json() as { queues: BoardQueue[] }).queues;
  const jobs = queues.find((q) => q.name === JOBS_QUEUE);
  if (jobs === undefined) {
    throw new Error(`no ${JOBS_QUEUE} queue in ${response.body}`);
  }
  return jobs;
}

async function submit(fx: TestApi): Promise<string> {
  const response = await submitJob(fx);
  expect(response.statusCode).toBe(201);
  return (response.json() as { id: string }).id;
}

describe('bull-board tells the truth about ended jobs (decision 0146)', () => {
  test('a failed and a cancelled job are listed as failed with their reason; Retry is not offered; each links to its job page', async ({
    openApi,
    server,
  }) => {
    const fx = await openApi();
    const failed = await submit(fx);
    const cancelled = await submit(fx);
    // The job state machine ends them, as a worker's run would.
    await fx.store.transition(failed, 'fail', {
      reason: 'no_matching_server',
      message: 'no server matched in 600 s',
    });
    await fx.store.requestCancel(cancelled);
    expect((await fx.store.get(cancelled)).state).toBe('cancelled');

    // The worker's processor ends with settleInBull on the terminal record (create-worker.ts).
    const connection = trackRedis(new Redis(server.url, { maxRetriesPerRequest: null }), 'board worker');
    const worker = new Worker<RunJobPayload>(
      JOBS_QUEUE,
      async (job) => settleInBull(await fx.store.get(job.data.jobId)),
      { connection, prefix: bullPrefix(fx.prefix) },
    );
    try {
      await waitFor(async () => (await board(fx, 'failed')).counts.failed === 2, {
        timeoutMs: 10_000,
        message: 'both jobs failed in BullMQ',
      });
    } finally {
      await worker.close();
      await connection.quit();
    }

    const listed = await board(fx, 'failed');
    expect(listed.counts).toMatchObject({ failed: 2, completed: 0, active: 0, waiting: 0 });
    expect(listed.allowRetries).toBe(false);
    const byId = new Map(listed.jobs.map((j) => [j.id, j]));
    expect(byId.get(failed)).toMatchObject({
      isFailed: true,
      failedReason: 'failed (no_matching_server): no server matched in 600 s',
      externalUrl: { href: `/admin#job/${failed}`, displayText: `job ${failed}` },
    });
    expect(byId.get(cancelled)?.failedReason).toMatch(/^cancelled/);
    expect(byId.get(cancelled)?.externalUrl?.href).toBe(`/admin#job/${cancelled}`);

    // Retry is refused, one job or all of a status, whatever the button shows: nothing moves.
    for (const url of [
      `/admin/queues/api/queues/${JOBS_QUEUE}/${failed}/retry`,
      `/admin/queues/api/queues/${JOBS_QUEUE}/retry/failed`,
    ]) {
      const retry = await fx.app.inject({ method: 'PUT', url, headers: auth('root') });
      expect(retry.statusCode, url).toBe(405);
      expect(retry.json()).toMatchObject({ error: 'JOB_RETRY_NOT_OFFERED' });
    }
    expect(await (await fx.queue.getJob(failed))?.getState()).toBe('failed');
    expect((await board(fx, 'failed')).counts.failed).toBe(2);
  });
});

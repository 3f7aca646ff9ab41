import type { JobRecord } from '@clore-batch/shared';
import { describe, expect } from 'vitest';
import { apiTest } from './support/api-fixture';
import { auth, type TestApi, validSpec, type Who } from './support/api-kit';

const test = apiTest({ SWEEP_MAX_JOBS: '8' });

function postSweep(api: TestApi, body: unknown, who: Who = 'alice', headers: Record<string, string> = {}) {
  return api.app.inject({
    method: 'POST',
    url: '/v1/sweeps',
    headers: { ...auth(who), ...headers },
    payload: body as object,
  });
}

const get = (api: TestApi, url: string, who: Who = 'alice') =>
  api.app.inject({ method: 'GET', url, headers: auth(who) });

async function allJobs(api: TestApi) {
  return (await api.store.list({ limit: 500 })).jobs;
}

describe('POST /v1/sweeps', () => {
  test('count: N ordinary queued jobs, CLORE_BATCH_INDEX 0..N-1 added to the env, in index order', async ({
    api,
  }) => {
    const res = await postSweep(api, { spec: validSpec({ env: { MODE: 'x' } }), count: 3, name: 'three' });
    expect(res.statusCode).toBe(201);
    const sweep = res.json();
    expect(sweep).toMatchObject({ name: 'three', owner: 'alice', total: 3, finished: 0, done: false });
    expect(sweep.id).toMatch(/^swp_[0-9A-Z]{26}$/);
    expect(sweep.counts.queued).toBe(3);
    const jobs = await api.store.getMany(sweep.jobIds);
    expect(jobs.map((job) => [job.sweepId, job.sweepIndex, job.spec.env, job.state, job.owner])).toEqual(
      [0, 1, 2].map((i) => [sweep.id, i, { MODE: 'x', CLORE_BATCH_INDEX: String(i) }, 'queued', 'alice']),
    );
    // Each is enqueued like a submitted job.
    expect(await api.queue.getJobCounts('waiting')).toEqual({ waiting: 3 });
    // GET /v1/jobs?sweepId= lists them in index order, paged.
    const first = (await get(api, `/v1/jobs?sweepId=${sweep.id}&limit=2`)).json();
    expect(first.jobs.map((job: { sweepIndex: number }) => job.sweepIndex)).toEqual([0, 1]);
    const rest = (await get(api, `/v1/jobs?sweepId=${sweep.id}&cursor=${first.nextCursor}`)).json();
    expect(rest).toEqual({ jobs: [expect.objectContaining({ sweepIndex: 2 })] });
    // GET /v1/sweeps lists it.
    const list = (await get(api, '/v1/sweeps')).json();
    expect(list.sweeps).toEqual([expect.objectContaining({ id: sweep.id, total: 3, jobIds: sweep.jobIds })]);
  });

  test('matrix: the cartesian product of the values, each point in the env', async ({ api }) => {
    const res = await postSweep(api, {
      spec: validSpec({ env: { LR: 'overridden', KEEP: '1' } }),
      matrix: { LR: ['0.1', '0.01'], SEED: ['1', '2', '3'] },
    });
    expect(res.statusCode).toBe(201);
    const jobs = await api.store.getMany(res.json().jobIds);
    expect(jobs.map((job) => job.spec.env)).toEqual(
      ['0.1', '0.01'].flatMap((lr, i) =>
        ['1', '2', '3'].map((seed, j) => ({
          KEEP: '1',
          LR: lr,
          SEED: seed,
          CLORE_BATCH_INDEX: String(i * 3 + j),
        })),
      ),
    );
  });

  test.for<[string, Record<string, unknown>]>([
    ['neither count nor matrix', {}],
    ['both', { count: 2, matrix: { A: ['1'] } }],
    ['count 0', { count: 0 }],
    ['an empty value list', { matrix: { A: [] } }],
    ['a bad variable name', { matrix: { '1A': ['x'] } }],
    ['CLORE_BATCH_INDEX in the matrix', { matrix: { CLORE_BATCH_INDEX: ['x'] } }],
  ])('refuses %s with a 400 VALIDATION_FAILED, nothing stored', async ([, extra], { api }) => {
    const res = await postSweep(api, { spec: validSpec(), ...extra });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_FAILED');
    expect(await allJobs(api)).toEqual([]);
  });

  test('a point whose spec is invalid (the env grows past its limit) refuses the sweep, nothing stored', async ({
    api,
  }) => {
    const env = Object.fromEntries(Array.from({ length: 256 }, (_, i) => [`V${i}`, 'x']));
    const res = await postSweep(api, { spec: validSpec({ env }), count: 2 });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_FAILED');
    expect(await allJobs(api)).toEqual([]);
    expect((await get(api, '/v1/sweeps')).json()).toEqual({ sweeps: [] });
  });

  test('more jobs than SWEEP_MAX_JOBS: 400 SWEEP_TOO_LARGE, nothing stored', async ({ api }) => {
    const count = await postSweep(api, { spec: validSpec(), count: 9 });
    expect(count.statusCode).toBe(400);
    expect(count.json()).toMatchObject({ code: 'SWEEP_TOO_LARGE', details: { jobs: 9, max: 8 } });
    const matrix = await postSweep(api, {
      spec: validSpec(),
      matrix: { A: ['1', '2', '3'], B: ['1', '2', '3'] },
    });
    expect(matrix.json()).toMatchObject({ code: 'SWEEP_TOO_LARGE', details: { jobs: 9, max: 8 } });
    expect((await postSweep(api, { spec: validSpec(), count: 8 })).statusCode).toBe(201);
    expect(await allJobs(api)).toHaveLength(8);
    expect((await get(api, '/v1/sweeps')).json().sweeps).toHaveLength(1);
  });

  test('TENANT_LIMITS count every job of the sweep: refused whole, nothing stored', async ({ openApi }) => {
    const api = await openApi({
      TENANT_LIMITS: JSON.stringify({ alice: { maxQueuedJobs: 5, monthlySpendUsd: 100 } }),
    });
    const first = await postSweep(api, { spec: validSpec(), count: 3 });
    expect(first.statusCode).toBe(201);
    // 3 queued + 3 more > 5: the whole sweep is refused, though 2 of its jobs would fit.
    const full = await postSweep(api, { spec: validSpec(), count: 3 });
    expect(full.statusCode).toBe(429);
    expect(full.json()).toMatchObject({
      code: 'TENANT_QUEUE_FULL',
      details: { maxQueuedJobs: 5, queuedJobs: 3, adding: 3 },
    });
    // The spend cap sees the sum of the budgets: one $45 job would fit ($45 + 3 live × $5), two do not.
    const spend = await postSweep(api, { spec: validSpec({ budgetUsd: 45 }), count: 2 });
    expect(spend.statusCode).toBe(403);
    expect(spend.json()).toMatchObject({
      code: 'TENANT_MONTHLY_SPEND_CAP',
      details: { budgetUsd: 90, unspentUsd: 15 },
    });
    expect(await allJobs(api)).toHaveLength(3);
    expect((await get(api, '/v1/sweeps')).json().sweeps).toHaveLength(1);
    expect(await api.queue.getJobCounts('waiting')).toEqual({ waiting: 3 });
    expect((await postSweep(api, { spec: validSpec(), count: 2 })).statusCode).toBe(201);
  });

  test('Idempotency-Key: a repeat returns the same sweep (200), another body is a 409', async ({ api }) => {
    const body = { spec: validSpec(), matrix: { A: ['1', '2'] } };
    const headers = { 'idempotency-key': 'sweep-1' };
    const first = await postSweep(api, body, 'alice', headers);
    expect(first.statusCode).toBe(201);
    const again = await postSweep(api, body, 'alice', headers);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first.json());
    const other = await postSweep(api, { ...body, matrix: { A: ['1', '3'] } }, 'alice', headers);
    expect(other.statusCode).toBe(409);
    expect(other.json()).toMatchObject({
      code: 'IDEMPOTENCY_CONFLICT',
      details: { sweepId: first.json().id },
    });
    // bob's key is his own.
    expect((await postSweep(api, body, 'bob', headers)).statusCode).toBe(201);
    expect(await allJobs(api)).toHaveLength(4);
  });
});

/** A store mutation: an ended attempt billed `spentUsd` (the store sums the job's costUsd). */
const billed = (spentUsd: number) => (job: JobRecord) => {
  const at = new Date().toISOString();
  job.attempts.push({
    n: job.attempts.length + 1,
    serverId: 1,
    gpu: 'RTX 4090',
    pricePerHourUsd: 1,
    currency: 'USD-Blockchain',
    startedAt: at,
    endedAt: at,
    spentUsd,
    endReason: 'completed',
  });
};

describe('GET /v1/sweeps/:id and cancel', () => {
  test('counts by state, total cost, progress; cancel ends every job that has not ended', async ({ api }) => {
    const sweep = (await postSweep(api, { spec: validSpec(), count: 4 })).json();
    const [a, b, c] = sweep.jobIds as [string, string, string, string];
    await api.store.transition(a, 'dispatch');
    await api.store.transition(a, 'provisioned');
    await api.store.update(a, billed(0.25));
    await api.store.transition(a, 'command_exited', { exitCode: 0 });
    await api.store.transition(a, 'succeed');
    await api.store.update(b, billed(0.5));
    await api.store.transition(c, 'dispatch');
    const status = (await get(api, `/v1/sweeps/${sweep.id}`)).json();
    expect(status.total).toBe(4);
    expect(status.costUsd).toBe(0.75);
    expect(status.counts).toMatchObject({ queued: 2, provisioning: 1, succeeded: 1 });
    expect(status).toMatchObject({ finished: 1, progress: 0.25, done: false });

    const cancel = await api.app.inject({
      method: 'POST',
      url: `/v1/sweeps/${sweep.id}/cancel`,
      headers: auth('alice'),
    });
    expect(cancel.statusCode).toBe(202);
    const jobs = await api.store.getMany(sweep.jobIds);
    // Queued ones are cancelled now, the live one has a cancel request; ended ones are untouched.
    expect(jobs.map((job) => [job.state, job.cancelRequestedAt !== undefined])).toEqual([
      ['succeeded', false],
      ['cancelled', false],
      ['provisioning', true],
      ['cancelled', false],
    ]);
    expect(cancel.json().counts).toMatchObject({ cancelled: 2, succeeded: 1, provisioning: 1 });
  });

  test("another tenant gets 404 SWEEP_NOT_FOUND for the sweep, its jobs' listing and cancel", async ({
    api,
  }) => {
    const sweep = (await postSweep(api, { spec: validSpec(), count: 2 })).json();
    const missing = 'swp_01ARZ3NDEKTSV4RRFFQ69G5FAV';
    for (const [method, url] of [
      ['GET', `/v1/sweeps/${sweep.id}`],
      ['GET', `/v1/jobs?sweepId=${sweep.id}`],
      ['POST', `/v1/sweeps/${sweep.id}/cancel`],
    ] as const) {
      const res = await api.app.inject({ method, url, headers: auth('bob') });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ code: 'SWEEP_NOT_FOUND', message: `no sweep ${sweep.id}` });
      const other = await api.app.inject({
        method,
        url: url.replace(sweep.id, missing),
        headers: auth('bob'),
      });
      expect(other.json().code).toBe('SWEEP_NOT_FOUND');
    }
    expect((await get(api, '/v1/sweeps', 'bob')).json()).toEqual({ sweeps: [] });
    expect((await api.store.getMany(sweep.jobIds)).map((job) => job.state)).toEqual(['queued', 'queued']);
    // An admin sees it.
    expect((await get(api, `/v1/sweeps/${sweep.id}`, 'root')).statusCode).toBe(200);
  });
});

describe('OpenAPI', () => {
  test('documents the sweep routes', async ({ api }) => {
    const doc = (await api.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(Object.keys(doc.paths['/v1/sweeps'])).toEqual(['post', 'get']);
    expect(Object.keys(doc.paths['/v1/sweeps/{id}'])).toEqual(['get']);
    expect(Object.keys(doc.paths['/v1/sweeps/{id}/cancel'])).toEqual(['post']);
    expect(Object.keys(doc.paths['/v1/sweeps'].post.responses)).toEqual(
      expect.arrayContaining(['200', '201', '400', '403', '409', '429']),
    );
    expect(doc.components.schemas.Sweep.required).toEqual(
      expect.arrayContaining(['counts', 'costUsd', 'done']),
    );
  });
});
